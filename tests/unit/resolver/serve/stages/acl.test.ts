import { describe, expect, it } from 'vitest';
import { AddressSet } from '../../../../../resolver/net/address-set.js';
import { chain, fastChain } from '../../../../../resolver/serve/context.js';
import { AclStage } from '../../../../../resolver/serve/stages/acl.js';
import { Stats } from '../../../../../resolver/serve/stats.js';
import { answering, fastCtx } from './fast-context.js';
import { ctx, OK, onError, rcode } from './stage-context.js';

describe('acl stage', () => {
  it('passes allowed subnets (IPv4, IPv6, v4-mapped) and refuses the rest', () => {
    const stats = new Stats();
    const acl = new AclStage(new AddressSet(['10.0.0.0/8', 'fd00::/8']), stats);
    const run = chain([acl, answering(OK)], onError);
    expect(run(ctx('10.1.2.3'))).toBe(OK);
    expect(run(ctx('::ffff:10.9.9.9'))).toBe(OK);
    expect(run(ctx('fd12::1'))).toBe(OK);
    expect(rcode(run(ctx('192.0.2.1')))).toBe(5);
    expect(rcode(run(ctx('2001:db8::1')))).toBe(5);
    expect(stats.refused).toBe(2);
  });

  it('fast form: hands allowed clients on, leaves the refusal (and its count) to the chain', () => {
    const stats = new Stats();
    const run = fastChain([new AclStage(new AddressSet(['10.0.0.0/8']), stats), answering(OK)]);
    expect(run(fastCtx('10.1.2.3'))).toBe(OK);
    expect(run(fastCtx('192.0.2.1'))).toBeUndefined();
    expect(stats.refused).toBe(0);
  });
});
