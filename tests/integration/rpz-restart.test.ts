/**
 * With a data dir, a restarted primary still answers IXFR from the serials it served before
 * the restart; without one (or when the list moved on meanwhile) it falls back to AXFR.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RpzPrimaryOptions, startRpzPrimary } from '../../resolver/rpz/server.js';
import { freePort } from '../helpers/ports.js';
import { trustedKeys, writeList } from '../helpers/rpz-lists.js';
import { dig } from '../helpers/rpz-secondaries.js';

const ZONE = 'rpz.kalkan.test';

describe('RPZ primary restarts', () => {
  let dir: string;
  let options: RpzPrimaryOptions;
  const logs: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kalkan-rpz-restart-'));
    options = {
      listen: { host: '127.0.0.1', port: await freePort() },
      zone: ZONE,
      listFile: join(dir, 'list.klb'),
      trustedKeys: await trustedKeys(),
      dataDir: join(dir, 'state'),
      log: (line) => logs.push(line),
    };
  });

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const ixfrFrom = async (port: number, serial: number) =>
    (await dig(port, ZONE, `IXFR=${serial}`, ['+tcp'])).answers;

  it('keeps answering IXFR across a restart with the same list', async () => {
    await writeList(options.listFile, 1, ['one.test']);
    const first = await startRpzPrimary(options);
    await writeList(options.listFile, 2, ['one.test', 'two.test']);
    await first.reload();
    await writeList(options.listFile, 3, ['two.test', 'three.test']);
    await first.reload();
    await first.close();

    const second = await startRpzPrimary(options);
    try {
      expect(logs.at(-1)).toMatch(/IXFR history restored: 2 versions back from serial 3/);
      const answers = await ixfrFrom(second.address.port, 1);
      // SOA 3, SOA 1, +two, SOA 2, SOA 2, -one, +three, SOA 3, SOA 3: incremental, not the zone.
      expect(answers.filter((a) => a.startsWith('ns.'))).toHaveLength(6);
      expect(second.counters()).toMatchObject({ ixfr: 1, ixfrAsAxfr: 0 });
    } finally {
      await second.close();
    }
  });

  it('fails to start, leaving nothing bound, when its port is taken', async () => {
    const holder = await startRpzPrimary({ ...options, dataDir: undefined });
    try {
      await expect(startRpzPrimary(options)).rejects.toThrow(/cannot listen on 127\.0\.0\.1:\d+/);
    } finally {
      await holder.close();
    }
    // Had the failed start left its UDP socket bound, this would fail too.
    const again = await startRpzPrimary(options);
    await again.close();
  });

  it('falls back to AXFR when the list moved on while the primary was down', async () => {
    await writeList(options.listFile, 4, ['four.test']);
    const third = await startRpzPrimary(options);
    try {
      expect(logs.at(-1)).toMatch(/leads to serial 3, not 4/);
      await ixfrFrom(third.address.port, 3);
      expect(third.counters()).toMatchObject({ ixfr: 0, ixfrAsAxfr: 1 });
    } finally {
      await third.close();
    }
  });
});
