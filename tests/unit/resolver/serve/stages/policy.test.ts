import { describe, expect, it } from 'vitest';
import { AddressSet } from '../../../../../resolver/net/address-set.js';
import type { Policy, QueryContext, Stage } from '../../../../../resolver/serve/context.js';
import { chain, fastChain } from '../../../../../resolver/serve/context.js';
import { PolicyStage } from '../../../../../resolver/serve/stages/policy.js';
import { fastCtx } from './fast-context.js';
import { ctx, OK, onError } from './stage-context.js';

const KIDS: Policy = { name: 'kids', categories: new Set(['adult']), safeSearch: true };
const STAFF: Policy = { name: 'staff', categories: new Set(['abuse']), safeSearch: false };
const DEFAULT: Policy = { name: 'default', categories: undefined, safeSearch: false };

/** A last stage that remembers the policy it was handed. */
function recorder() {
  const seen: (string | undefined)[] = [];
  const stage: Stage = {
    name: 'record',
    handle: (c: QueryContext) => {
      seen.push(c.policy?.name);
      return OK;
    },
    fast: () => (c) => {
      seen.push(c.policy?.name);
      return OK;
    },
  };
  return { seen, stage };
}

describe('policy stage', () => {
  // A source by subnet, first match wins (resolver/policies/client-policies.ts is the real one).
  const bySubnet = [
    { subnets: new AddressSet(['10.1.0.0/16']), policy: KIDS },
    { subnets: new AddressSet(['10.0.0.0/8']), policy: STAFF },
  ];
  const stage = () =>
    new PolicyStage({
      all: [KIDS, STAFF, DEFAULT],
      policyFor: (client) => bySubnet.find((p) => p.subnets.has(client))?.policy ?? DEFAULT,
    });

  it('sets the policy its source gives each client', () => {
    const { seen, stage: last } = recorder();
    const run = chain([stage(), last], onError);
    for (const client of ['10.1.2.3', '10.9.9.9', '::ffff:10.1.0.1', '192.0.2.1', '10.1.2.3'])
      run(ctx(client));
    expect(seen).toEqual(['kids', 'staff', 'kids', 'default', 'kids']);
  });

  it('fast form: sets the same policy before the stages after it run', () => {
    const { seen, stage: last } = recorder();
    const run = fastChain([stage(), last]);
    for (const client of ['10.1.2.3', '192.0.2.1']) run(fastCtx(client));
    expect(seen).toEqual(['kids', 'default']);
  });

  it('a device id the config knows picks its policy; an unknown one is dropped', () => {
    const { seen, stage: last } = recorder();
    const kidsNet = new AddressSet(['10.1.0.0/16']);
    const withDevices = new PolicyStage({
      all: [KIDS, STAFF, DEFAULT],
      policyFor: (client) => (kidsNet.has(client) ? KIDS : DEFAULT),
      policyForDevice: (id) => (id === 'dadphone' ? STAFF : undefined),
    });
    const run = chain([withDevices, last], onError);
    const known = { ...ctx('10.1.2.3'), device: 'dadphone' };
    const unknown = { ...ctx('10.1.2.3'), device: 'stranger' };
    run(known);
    run(unknown);
    run({ ...ctx('192.0.2.1'), device: 'stranger' });
    expect(seen).toEqual(['staff', 'kids', 'default']);
    expect(known.device).toBe('dadphone');
    expect(unknown.device).toBeUndefined(); // neither counted nor remembered
  });
});
