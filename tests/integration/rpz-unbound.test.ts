import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RpzPrimary } from '../../resolver/rpz/server.js';
import { waitFor } from '../helpers/resolver.js';
import { writeList } from '../helpers/rpz-lists.js';
import {
  type DigAnswer,
  dig,
  type PrimaryWithSecondary,
  type Running,
  startPrimaryWithSecondary,
  startUnbound,
  UPSTREAM_ADDRESS,
  unboundZoneSerial,
} from '../helpers/rpz-secondaries.js';

const ZONE = 'rpz.kalkan.test';

/**
 * Unbound's RPZ NXDOMAIN (rpz-signal-nxdomain-ra: no RA flag); the upstream it forwards to
 * answers every name with an address, so nothing else gives one.
 */
function expectRpzBlocked(answer: DigAnswer): void {
  expect(answer.status).toBe('NXDOMAIN');
  expect(answer.flags).not.toContain('ra');
}

describe('RPZ primary with an Unbound secondary', () => {
  let setup: PrimaryWithSecondary | undefined;
  let dir: string;
  let primary: RpzPrimary;
  let unbound: Running;
  let logs: string[];
  let upstream: Running;

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
    ({ dir, primary, secondary: unbound, logs, upstream } = setup);
  });

  afterAll(() => setup?.stop());

  it('blocks listed names and their subdomains, answers the rest from upstream', async () => {
    // the control: the upstream alone answers the listed name
    expect((await dig(upstream.port, 'blocked-one.test')).answers).toContain(UPSTREAM_ADDRESS);
    // One transfer, counted by the primary, then the zone in force; no second chance, so a
    // failed first transfer fails the test with both sides' logs.
    const show = (error: Error) =>
      new Error(
        `${error.message}\ncounters: ${JSON.stringify(primary.counters())}\nunbound:\n${unbound.output()}\nprimary:\n${logs.join('\n')}`,
      );
    await waitFor(async () => primary.counters().axfr >= 1, 20_000, 'the first AXFR').catch(
      (error: Error) => {
        throw show(error);
      },
    );
    await waitFor(async () => (await unboundZoneSerial(dir, ZONE)) === 1, 20_000).catch(
      (error: Error) => {
        throw show(error);
      },
    );
    expect(primary.counters()).toMatchObject({ axfr: 1, tsigFailures: 0 });
    expectRpzBlocked(await dig(unbound.port, 'blocked-one.test'));
    expectRpzBlocked(await dig(unbound.port, 'www.blocked-one.test'));
    expectRpzBlocked(await dig(unbound.port, 'leaves-later.test'));
    const open = await dig(unbound.port, 'open-site.test');
    expect(open.status).toBe('NOERROR');
    expect(open.answers).toContain(UPSTREAM_ADDRESS);
    // rpz-passthru: an allow entry under a blocked name gets the real answer.
    const allowed = await dig(unbound.port, 'allowed.blocked-one.test');
    expect(allowed.status).toBe('NOERROR');
    expect(allowed.answers).toContain(UPSTREAM_ADDRESS);
    expect(await unboundZoneSerial(dir, ZONE)).toBe(1);
  });

  it('picks up a new sequence by NOTIFY and IXFR', async () => {
    const before = primary.counters();
    await writeList(join(dir, 'list.klb'), 2, ['blocked-one.test', 'newly-listed.test'], {
      allow: ['allowed.blocked-one.test'],
    });
    const result = await primary.reload();
    expect(result).toMatchObject({ changed: true, serial: 2, from: 1 });
    await waitFor(async () => (await unboundZoneSerial(dir, ZONE)) === 2, 20_000);
    expectRpzBlocked(await dig(unbound.port, 'newly-listed.test'));
    expectRpzBlocked(await dig(unbound.port, 'sub.newly-listed.test'));
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
    expect(axfr.status).toMatch(/REFUSED|transfer failed/);
    expect(axfr.answers).toHaveLength(0);
    const soa = await dig(primary.address.port, ZONE, 'SOA', ['-b', '127.0.0.2']);
    expect(soa.status).toBe('REFUSED');
    const inside = await dig(primary.address.port, ZONE, 'SOA', ['-b', '127.0.0.1']);
    expect(inside.status).toBe('NOERROR');
  });
});
