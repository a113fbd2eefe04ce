/**
 * One `kalkan serve` process with an `rpz:` section: it answers filtered queries on its DNS
 * port and serves the RPZ zone to `dig` by AXFR (TSIG-signed) and IXFR on the RPZ port; a
 * transfer without TSIG or from outside the ACL is refused; a changed list file and SIGHUP
 * give new serials; the counters show on the resolver's /metrics.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodePublicKey } from '../../blocklists/keys.js';
import { testKey } from '../helpers/bundles.js';
import { runKalkan } from '../helpers/kalkan-process.js';
import { freePort } from '../helpers/ports.js';
import {
  BLOCKED_BY_KALKAN,
  DEMO_ABUSE,
  DEMO_PUB,
  dig,
  type Kalkan,
  metric,
  startKalkan,
  startUnbound,
  statusOf,
  tempDir,
  type Unbound,
  waitFor,
} from '../helpers/resolver.js';
import { writeList } from '../helpers/rpz-lists.js';

const run = promisify(execFile);
const ZONE = 'rpz.kalkan.test';
const SECRET = randomBytes(32).toString('base64');
const TSIG = `hmac-sha256:xfr:${SECRET}`;

let tmp: Awaited<ReturnType<typeof tempDir>>;
let unbound: Unbound | undefined;
let kalkan: Kalkan | undefined;
let rpzPort: number;
let list: string;

/** `dig` for a zone transfer: the records of the answer (or the failure dig prints). */
async function transfer(type: string, extra: string[] = []): Promise<string[]> {
  const { stdout } = await run('dig', [
    '@127.0.0.1',
    '-p',
    String(rpzPort),
    '+tries=1',
    '+time=3',
    '+nocomments',
    '+nostats',
    ...extra,
    ZONE,
    type,
  ]).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }));
  return stdout.split('\n').filter((l) => l.trim() && !l.startsWith(';; '));
}

const serial = async () =>
  Number((await transfer('SOA', ['-y', TSIG])).find((l) => /\sSOA\s/.test(l))?.split(/\s+/)[6]);

beforeAll(async () => {
  tmp = await tempDir('kalkan-resolver-rpz-');
  const pub = join(tmp.dir, 'isp-publisher.pub');
  await writeFile(pub, encodePublicKey((await testKey()).publicKey));
  await writeFile(join(tmp.dir, 'xfr.secret'), `${SECRET}\n`);
  list = join(tmp.dir, 'isp.klb');
  await writeList(list, 1, ['listed.test', 'other-listed.test']);
  unbound = await startUnbound(tmp.dir, ['allowed.test. 300 IN A 192.0.2.10'], ['test.']);
  rpzPort = await freePort();
  kalkan = await startKalkan(tmp.dir, {
    upstreams: [`127.0.0.1:${unbound.port}`],
    rpz: [
      {
        zone: ZONE,
        listen: `127.0.0.1:${rpzPort}`,
        list: 'isp.klb',
        trust: ['isp-publisher.pub'],
        tsig: [{ name: 'xfr', 'secret-file': 'xfr.secret' }],
        'allow-transfer': ['127.0.0.1/32'],
      },
    ],
  });
}, 30_000);

afterAll(async () => {
  await kalkan?.stop();
  await unbound?.stop();
  await tmp?.remove();
});

describe('kalkan serve with an rpz: section', () => {
  it('filters on its DNS port and serves the RPZ zone by AXFR with TSIG on the RPZ port', async () => {
    const k = kalkan as Kalkan;
    expect(await dig(k.port, 'blocked.kalkan.test')).toMatch(BLOCKED_BY_KALKAN);
    const allowed = await dig(k.port, 'allowed.test');
    expect(statusOf(allowed)).toBe('NOERROR');
    expect(allowed).toContain('192.0.2.10');

    const axfr = await transfer('AXFR', ['-y', TSIG]);
    const cnames = axfr.filter((l) => /\sCNAME\s+\.$/.test(l)).map((l) => l.split(/\s+/)[0]);
    expect(cnames.sort()).toEqual([
      `*.listed.test.${ZONE}.`,
      `*.other-listed.test.${ZONE}.`,
      `listed.test.${ZONE}.`,
      `other-listed.test.${ZONE}.`,
    ]);
    expect(axfr.filter((l) => /\sSOA\s/.test(l))).toHaveLength(2);
    expect(await serial()).toBe(1);
  });

  it('refuses a transfer without TSIG and one from outside allow-transfer', async () => {
    const unsigned = await transfer('AXFR');
    expect(unsigned.join('\n')).toMatch(/Transfer failed|REFUSED/);
    expect(unsigned.some((l) => /\sCNAME\s/.test(l))).toBe(false);
    const outside = await transfer('AXFR', ['-y', TSIG, '-b', '127.0.0.2']);
    // refused or hung up on; not "connection refused", which a dead server gives too
    expect(outside.join('\n')).toMatch(/Transfer failed|REFUSED|end of file|connection reset/);
    expect(outside.some((l) => /\sCNAME\s/.test(l))).toBe(false);
  });

  it('follows a changed list file and SIGHUP, and answers IXFR from the old serial', async () => {
    const k = kalkan as Kalkan;
    await writeList(list, 2, ['listed.test', 'new-listed.test']);
    await waitFor(async () => (await serial()) === 2, 10_000);
    const ixfr = await transfer('IXFR=1', ['-y', TSIG]);
    const text = ixfr.join('\n');
    expect(ixfr.filter((l) => /\sSOA\s/.test(l)).length).toBe(4); // IXFR: new, old, new, new
    expect(text).toContain(`new-listed.test.${ZONE}.`);
    expect(text).toContain(`other-listed.test.${ZONE}.`); // the deletion
    expect(text).not.toMatch(new RegExp(`^listed\\.test\\.${ZONE.replace(/\./g, '\\.')}\\.`, 'm'));

    // SIGHUP reaches the zone too (the file is unchanged: the watcher stays quiet).
    k.child.kill('SIGHUP');
    await waitFor(
      async () => /"changed":false,"serial":2,"reason":"SIGHUP"/.test(k.stdout()),
      5_000,
    );
    await writeList(list, 3, ['listed.test']);
    await waitFor(async () => (await serial()) === 3, 10_000);
    expect(await dig(k.port, 'blocked.kalkan.test')).toMatch(BLOCKED_BY_KALKAN);
  });

  it('publishes the RPZ counters on /metrics', async () => {
    const k = kalkan as Kalkan;
    expect(await metric(k.statusPort, 'kalkan_rpz_axfr_total')).toBeGreaterThanOrEqual(1);
    expect(await metric(k.statusPort, 'kalkan_rpz_ixfr_total')).toBeGreaterThanOrEqual(1);
    expect(await metric(k.statusPort, 'kalkan_rpz_refused_total')).toBeGreaterThanOrEqual(2);
    expect(await metric(k.statusPort, 'kalkan_rpz_serial')).toBe(3);
    expect(await metric(k.statusPort, 'kalkan_rpz_reloads_total')).toBe(2);
    expect(await metric(k.statusPort, 'kalkan_queries_total')).toBeGreaterThanOrEqual(3);
  });

  it('lists the zone with its serial and transfers on the status page', async () => {
    const k = kalkan as Kalkan;
    const html = await (await fetch(`http://127.0.0.1:${k.statusPort}/`)).text();
    const row = /<table id="rpz">.*?<tbody><tr>(.*?)<\/tr>/s.exec(html)?.[1] ?? '';
    const cells = [...row.matchAll(/<td>(.*?)<\/td>/g)].map((m) => m[1]);
    expect(cells.slice(0, 3)).toEqual([ZONE, `127.0.0.1:${rpzPort}`, '3']);
    expect(Number(cells[3])).toBeGreaterThanOrEqual(1);
  });

  it('--check builds the zones, and names a hashed-only list and an unreadable TSIG secret', async () => {
    const k = kalkan as Kalkan;
    const good = await runKalkan(['serve', '--check', '--config', k.configPath]);
    expect(good.stdout).toContain(`rpz zone ${ZONE}: ok (list isp-test, serial 3`);
    expect(good.code).toBe(0);
    const bad = join(tmp.dir, 'bad.yaml');
    await writeFile(
      bad,
      `trust: [${DEMO_PUB}]
lists: [{ file: ${DEMO_ABUSE} }]
upstreams: [127.0.0.1:9]
rpz:
  - { zone: a.test, listen: 127.0.0.1:1, list: ${DEMO_ABUSE} }
  - { zone: b.test, listen: 127.0.0.1:1, list: isp.klb, tsig: [{ name: x, secret-file: nope }] }
`,
    );
    const refused = await runKalkan(['serve', '--check', '--config', bad]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/rpz a\.test: .*hashed-only/);
    expect(refused.stderr).toMatch(/rpz b\.test: cannot read TSIG secret-file .*nope: ENOENT/);
  });
});
