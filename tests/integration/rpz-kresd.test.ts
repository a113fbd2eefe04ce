/**
 * Knot Resolver 5.6 as an RPZ consumer. kresd's `policy.rpz` reads a zone file and reloads it
 * when the file changes; it neither transfers zones nor takes a NOTIFY. So the two routes an ISP
 * has are tested: the file `kalkan lists export --format rpz` writes, and an AXFR from
 * `kalkan rpz serve` (here with dig, as a cron job would) renamed over the watched file.
 */
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliPublisher, cliPublisher } from '../helpers/cli-lists.js';
import { type LongRunning, startKalkan } from '../helpers/kalkan-process.js';
import { freePort } from '../helpers/ports.js';
import { dig, tempDir, waitFor } from '../helpers/resolver.js';
import { query, startKresd } from '../helpers/rpz-consumers.js';
import { type Running, startUpstream, UPSTREAM_ADDRESS } from '../helpers/rpz-secondaries.js';

const ZONE = 'rpz.kalkan.test';
const MESSAGE = 'blocked by the kalkan rpz';
const BLOCKED = 15;

describe('RPZ files with Knot Resolver', () => {
  let dir: string;
  let publisher: CliPublisher;
  let upstream: Running;
  let kresd: Running;
  let list: string;
  let rpzFile: string;

  beforeAll(async () => {
    ({ dir } = await tempDir('kalkan-rpz-kresd-'));
    publisher = await cliPublisher(dir);
    list = join(dir, 'list.klb');
    rpzFile = join(dir, 'kalkan.rpz');
    await publisher.build(
      list,
      1,
      ['listed.test', 'parent.test', 'leaves.test', 'both.test'],
      ['ok.parent.test', 'both.test'],
    );
    const exported = await publisher.export(list, 'rpz', rpzFile, ZONE);
    expect(exported.stderr).toContain('1 block entries left out');
    upstream = await startUpstream();
    kresd = await startKresd({ dir, rpzFile, upstreamPort: upstream.port, message: MESSAGE });
  });

  afterAll(async () => {
    await kresd?.stop();
    await upstream?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const refused = async (name: string) => {
    const answer = await query(kresd.port, name);
    return answer.rcode === 'NXDOMAIN' && answer.ede?.code === BLOCKED;
  };

  it('refuses listed names and subdomains from the exported file, answers allowed ones', async () => {
    for (const name of ['listed.test', 'www.listed.test', 'parent.test', 'x.y.parent.test']) {
      const answer = await query(kresd.port, name);
      expect(answer.rcode, name).toBe('NXDOMAIN');
      expect(answer.ede?.code, name).toBe(BLOCKED);
      expect(answer.addresses, name).toEqual([]);
      // DENY_MSG puts its message in the reply: the policy answered, nothing else.
      expect(await dig(kresd.port, name, 'A', ['+noall', '+additional'])).toContain(MESSAGE);
    }
    for (const name of ['ok.parent.test', 'www.ok.parent.test', 'both.test', 'open-site.test']) {
      const answer = await query(kresd.port, name);
      expect(answer.rcode, name).toBe('NOERROR');
      expect(answer.addresses, name).toEqual([UPSTREAM_ADDRESS]);
    }
  });

  it('reloads the file when an AXFR from kalkan rpz serve replaces it', async () => {
    await publisher.build(
      list,
      2,
      ['listed.test', 'parent.test', 'newly.test'],
      ['ok.parent.test'],
    );
    const port = await freePort();
    const primary: LongRunning = startKalkan([
      'rpz',
      'serve',
      '--listen',
      `127.0.0.1:${port}`,
      '--zone',
      ZONE,
      '--list',
      list,
      '--trust',
      publisher.publicKey,
    ]);
    try {
      await primary.waitFor(/serving on/);
      const axfr = await dig(port, ZONE, 'AXFR', ['+noall', '+answer']);
      // The closing SOA repeats the first; kresd warns about a second SOA, so it is left out.
      const lines = axfr.trimEnd().split('\n');
      expect(lines.at(-1)).toMatch(/\tSOA\t/);
      await writeFile(`${rpzFile}.tmp`, `${lines.slice(0, -1).join('\n')}\n`);
      await rename(`${rpzFile}.tmp`, rpzFile);
      expect(await readFile(rpzFile, 'utf8')).toMatch(/^newly\.test\.rpz\.kalkan\.test\./m);
      await waitFor(() => refused('newly.test'), 10_000, 'kresd to reload the RPZ file');
      expect(primary.output()).toMatch(/AXFR serial 2 to 127\.0\.0\.1/);
      expect(await refused('sub.newly.test')).toBe(true);
      expect(await refused('listed.test')).toBe(true);
      const removed = await query(kresd.port, 'leaves.test');
      expect(removed.rcode).toBe('NOERROR');
      expect(removed.addresses).toEqual([UPSTREAM_ADDRESS]);
      expect((await query(kresd.port, 'ok.parent.test')).addresses).toEqual([UPSTREAM_ADDRESS]);
    } finally {
      await primary.stop();
    }
  });
});
