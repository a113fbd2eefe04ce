/**
 * BIND 9 as an RPZ secondary of the Kalkan primary: a `response-policy` zone of type secondary
 * that pulls over TSIG (hmac-sha256). Listed names and subdomains get NXDOMAIN, others the
 * upstream's answer; a new sequence arrives by NOTIFY and IXFR; a wrong key or no key is refused.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RpzPrimary } from '../../resolver/rpz/server.js';
import { waitFor } from '../helpers/resolver.js';
import { writeList } from '../helpers/rpz-lists.js';
import {
  dig,
  type PrimaryWithSecondary,
  type Running,
  startNamed,
  startPrimaryWithSecondary,
  UPSTREAM_ADDRESS,
} from '../helpers/rpz-secondaries.js';

const ZONE = 'rpz.kalkan.test';
const KEY_NAME = 'kalkan-xfr';
const SECRET = randomBytes(32).toString('base64');

describe('RPZ primary with a BIND secondary over TSIG', () => {
  let setup: PrimaryWithSecondary | undefined;
  let dir: string;
  let primary: RpzPrimary;
  let named: Running;
  let upstream: Running;

  const serial = async () => Number((await dig(named.port, ZONE, 'SOA')).answers[0]?.split(' ')[2]);

  beforeAll(async () => {
    setup = await startPrimaryWithSecondary({
      zone: ZONE,
      list: { sequence: 10, block: ['blocked-one.test', 'leaves-later.test'] },
      tsig: { name: KEY_NAME, secret: SECRET },
      start: startNamed,
    });
    ({ dir, primary, secondary: named, upstream } = setup);
  });

  afterAll(() => setup?.stop());

  it('blocks listed names and their subdomains, answers the rest from upstream', async () => {
    // the control: the upstream alone answers the listed name
    expect((await dig(upstream.port, 'blocked-one.test')).answers).toContain(UPSTREAM_ADDRESS);
    await waitFor(async () => (await serial()) === 10, 20_000);
    expect((await dig(named.port, 'blocked-one.test')).status).toBe('NXDOMAIN');
    expect((await dig(named.port, 'deep.www.blocked-one.test')).status).toBe('NXDOMAIN');
    // BIND says where the NXDOMAIN came from
    await waitFor(async () => /rpz QNAME NXDOMAIN rewrite blocked-one\.test/.test(named.output()));
    const open = await dig(named.port, 'open-site.test');
    expect(open.status).toBe('NOERROR');
    expect(open.answers).toContain(UPSTREAM_ADDRESS);
    expect(primary.counters().tsigFailures).toBe(0);
  });

  it('picks up a new sequence by NOTIFY and IXFR', async () => {
    const before = primary.counters();
    await writeList(join(dir, 'list.klb'), 11, ['blocked-one.test', 'newly-listed.test']);
    await primary.reload();
    await waitFor(async () => (await serial()) === 11, 20_000);
    // BIND applies a new policy zone version a moment after loading it.
    await waitFor(
      async () => (await dig(named.port, 'newly-listed.test')).status === 'NXDOMAIN',
      20_000,
    );
    expect((await dig(named.port, 'sub.newly-listed.test')).status).toBe('NXDOMAIN');
    const gone = await dig(named.port, 'leaves-later.test');
    expect(gone.status).toBe('NOERROR');
    expect(gone.answers).toContain(UPSTREAM_ADDRESS);
    const after = primary.counters();
    expect(after.notifyAcked).toBeGreaterThan(before.notifyAcked);
    expect(after.ixfr).toBe(before.ixfr + 1);
    expect(after.axfr).toBe(before.axfr);
    expect(after.ixfrAsAxfr).toBe(before.ixfrAsAxfr);
    expect(after.tsigFailures).toBe(0);
    expect(named.output()).toMatch(
      /transfer of 'rpz\.kalkan\.test\/IN' from 127\.0\.0\.1#\d+: Transfer completed/,
    );
  });

  it('refuses a transfer with a wrong key, without a key, or from outside the ACL', async () => {
    const port = primary.address.port;
    const wrong = randomBytes(32).toString('base64');
    const before = primary.counters();
    const badKey = await dig(port, ZONE, 'AXFR', ['-y', `hmac-sha256:${KEY_NAME}:${wrong}`]);
    expect(badKey.answers).toHaveLength(0);
    expect(badKey.status).toMatch(/NOTAUTH|REFUSED|transfer failed/);
    const unknownKey = await dig(port, ZONE, 'AXFR', ['-y', `hmac-sha256:other-key:${SECRET}`]);
    expect(unknownKey.answers).toHaveLength(0);
    expect(unknownKey.status).toMatch(/NOTAUTH|REFUSED|transfer failed/);
    expect(primary.counters().tsigFailures).toBe(before.tsigFailures + 2);
    const unsigned = await dig(port, ZONE, 'AXFR');
    expect(unsigned.answers).toHaveLength(0);
    expect(unsigned.status).toMatch(/NOTAUTH|REFUSED|transfer failed/);
    const outside = await dig(port, ZONE, 'AXFR', [
      '-b',
      '127.0.0.2',
      '-y',
      `hmac-sha256:${KEY_NAME}:${SECRET}`,
    ]);
    expect(outside.answers).toHaveLength(0);
    expect(outside.status).toMatch(/NOTAUTH|REFUSED|transfer failed/);
    // The right key from inside: dig checks every message's TSIG and prints the records.
    const good = await dig(port, ZONE, 'AXFR', ['-y', `hmac-sha256:${KEY_NAME}:${SECRET}`]);
    expect(good.answers).toContain('.');
    expect(good.answers.filter((a) => a.startsWith('ns.'))).toHaveLength(2);
    expect(good.answers).toContain('localhost.');
  });
});
