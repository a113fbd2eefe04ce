import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RpzPrimary } from '../../resolver/rpz/server.js';
import { waitFor } from '../helpers/resolver.js';
import { writeList } from '../helpers/rpz-lists.js';
import {
  dig,
  type PrimaryWithSecondary,
  type Running,
  requestUnboundTransfer,
  startPrimaryWithSecondary,
  startUnbound,
  UPSTREAM_ADDRESS,
  unboundZoneSerial,
} from '../helpers/rpz-secondaries.js';

const ZONE = 'rpz.kalkan.test';

describe('RPZ primary with an Unbound secondary', () => {
  let setup: PrimaryWithSecondary | undefined;
  let dir: string;
  let primary: RpzPrimary;
  let unbound: Running;
  let logs: string[];

  beforeAll(async () => {
    setup = await startPrimaryWithSecondary({
      zone: ZONE,
      list: {
        sequence: 1,
        block: ['blocked-one.test', 'leaves-later.test'],
        allow: ['allowed.blocked-one.test'],
      },
      start: startUnbound,
    });
    ({ dir, primary, secondary: unbound, logs } = setup);
  });

  afterAll(() => setup?.stop());

  it('blocks listed names and their subdomains, answers the rest from upstream', async () => {
    const loaded = async () => (await dig(unbound.port, 'blocked-one.test')).status === 'NXDOMAIN';
    // Seen once in a loaded CI rehearsal: the zone never came within 15 s. Ask Unbound to fetch
    // it again after 5 s, and show its log if even that fails.
    await waitFor(loaded, 5_000).catch(async () => {
      await requestUnboundTransfer(dir, ZONE);
      await waitFor(loaded, 10_000).catch((error: Error) => {
        throw new Error(
          `${error.message}\nunbound:\n${unbound.output()}\nprimary:\n${logs.join('\n')}`,
        );
      });
    });
    expect((await dig(unbound.port, 'www.blocked-one.test')).status).toBe('NXDOMAIN');
    expect((await dig(unbound.port, 'leaves-later.test')).status).toBe('NXDOMAIN');
    const open = await dig(unbound.port, 'open-site.test');
    expect(open.status).toBe('NOERROR');
    expect(open.answers).toContain(UPSTREAM_ADDRESS);
    // rpz-passthru: an allow entry under a blocked name gets the real answer.
    const allowed = await dig(unbound.port, 'allowed.blocked-one.test');
    expect(allowed.status).toBe('NOERROR');
    expect(allowed.answers).toContain(UPSTREAM_ADDRESS);
    expect(await unboundZoneSerial(dir, ZONE)).toBe(1);
  });

  it('picks up a new sequence by NOTIFY and IXFR within seconds', async () => {
    const before = primary.counters();
    await writeList(join(dir, 'list.klb'), 2, ['blocked-one.test', 'newly-listed.test'], {
      allow: ['allowed.blocked-one.test'],
    });
    const result = await primary.reload();
    expect(result).toMatchObject({ changed: true, serial: 2, from: 1 });
    const took = await waitFor(async () => (await unboundZoneSerial(dir, ZONE)) === 2, 5_000);
    expect(took).toBeLessThan(5_000);
    expect((await dig(unbound.port, 'newly-listed.test')).status).toBe('NXDOMAIN');
    expect((await dig(unbound.port, 'sub.newly-listed.test')).status).toBe('NXDOMAIN');
    const gone = await dig(unbound.port, 'leaves-later.test');
    expect(gone.status).toBe('NOERROR');
    expect(gone.answers).toContain(UPSTREAM_ADDRESS);
    const after = primary.counters();
    expect(after.notifyAcked).toBeGreaterThan(before.notifyAcked);
    expect(after.ixfr).toBe(before.ixfr + 1);
    expect(after.axfr).toBe(before.axfr);
    expect(after.ixfrAsAxfr).toBe(before.ixfrAsAxfr);
  });

  it('refuses transfers and queries from outside the ACL', async () => {
    const axfr = await dig(primary.address.port, ZONE, 'AXFR', ['-b', '127.0.0.2']);
    expect(axfr.answers).toHaveLength(0);
    const soa = await dig(primary.address.port, ZONE, 'SOA', ['-b', '127.0.0.2']);
    expect(soa.status).toBe('REFUSED');
    const inside = await dig(primary.address.port, ZONE, 'SOA', ['-b', '127.0.0.1']);
    expect(inside.status).toBe('NOERROR');
  });
});
