/**
 * Issue 14, "no way around it" and "am I protected?", through the built CLI and dig: the
 * bypass list that `npm run build` signs is on in the embedded default configuration, its names
 * get Kalkan's NXDOMAIN + EDE 17 (in sinkhole mode too), and the check name is answered by
 * Kalkan alone. The test upstream answers every name of every zone below (a wildcard), so each
 * NXDOMAIN here is Kalkan's.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHECK_TXT } from '../../resolver/serve/setup/check-answer.js';
import { KALKAN } from '../helpers/kalkan-process.js';
import { freePort } from '../helpers/ports.js';
import {
  DEMO_ADULT,
  dig,
  type Kalkan,
  ROOT,
  startKalkan,
  startUnbound,
  statusOf,
  stopChild,
  tempDir,
  type Unbound,
  UPSTREAM_WILDCARD,
  waitFor,
} from '../helpers/resolver.js';

const BYPASS = join(ROOT, 'build/lists/kalkan-bypass.klb');
const BYPASS_EDE =
  /EDE: 17 \(Filtered\): \(blocked by Kalkan: category bypass, list kalkan-bypass\)/;
/**
 * Zones the upstream answers every name under (not the apex, hence whole TLDs): the bypass
 * names, the canary, the check name.
 */
const ZONES = ['com.', 'google.', 'net.', 'invalid.', 'test.'];

let tmp: Awaited<ReturnType<typeof tempDir>>;
let unbound: Unbound;
const servers: Kalkan[] = [];

beforeAll(async () => {
  tmp = await tempDir('kalkan-bypass-');
  unbound = await startUnbound(tmp.dir, [], ZONES);
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  await unbound?.stop();
  await tmp?.remove();
});

describe('the test upstream alone', () => {
  it('answers every bypass name, the canary and the check name (so a block below is Kalkan’s)', async () => {
    for (const name of [
      'mask.icloud.com',
      'dns.google',
      'use-application-dns.net',
      'check.kalkan.invalid',
    ]) {
      const out = await dig(unbound.port, name, 'A', ['+short']);
      expect(out.trim()).toBe(UPSTREAM_WILDCARD.A);
    }
  });
});

describe('kalkan serve with the embedded default configuration', () => {
  it('blocks the bypass names out of the box: NXDOMAIN with EDE 17 naming the category', async () => {
    const port = await freePort();
    const statusPort = await freePort();
    const child = spawn(
      process.execPath,
      [
        KALKAN,
        'serve',
        '--listen',
        `127.0.0.1:${port}`,
        '--upstream',
        `127.0.0.1:${unbound.port}`,
        '--status',
        `127.0.0.1:${statusPort}`,
      ],
      {
        env: { ...process.env, KALKAN_DATA_DIR: join(tmp.dir, 'default-data') },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout?.on('data', (d) => {
      out += d;
    });
    child.stderr?.on('data', (d) => {
      out += d;
    });
    try {
      await waitFor(async () => out.includes('kalkan serve ready'), 15_000, `kalkan ready: ${out}`);
      // Positive control first: a name of the same zone that is not listed gets the upstream's answer.
      expect((await dig(port, 'www.icloud.com', 'A', ['+short'])).trim()).toBe(UPSTREAM_WILDCARD.A);
      for (const name of [
        'mask.icloud.com',
        'mask-h2.icloud.com',
        'dns.google',
        'mozilla.cloudflare-dns.com',
      ]) {
        const answer = await dig(port, name, 'A');
        expect(statusOf(answer), name).toBe('NXDOMAIN');
        expect(answer, name).toMatch(BYPASS_EDE);
      }
      // The DoH endpoint is blocked for every type a client asks (HTTPS records too).
      const https = await dig(port, 'dns.google', 'TYPE65');
      expect(statusOf(https)).toBe('NXDOMAIN');
      expect(https).toMatch(BYPASS_EDE);
    } finally {
      await stopChild(child);
    }
  });
});

describe('kalkan serve in sinkhole mode', () => {
  let k: Kalkan;
  beforeAll(async () => {
    k = await startKalkan(tmp.dir, {
      upstreams: [`127.0.0.1:${unbound.port}`],
      lists: [{ file: DEMO_ADULT }, { file: BYPASS }],
      block: { mode: 'sinkhole', sinkholeIPv4: '192.0.2.1' },
    });
    servers.push(k);
  });

  it('still answers the bypass names NXDOMAIN (Private Relay switches off only on that)', async () => {
    const adult = await dig(k.port, 'adult-demo.test', 'A', ['+short']);
    expect(adult.trim()).toBe('192.0.2.1');
    const mask = await dig(k.port, 'mask.icloud.com', 'A');
    expect(statusOf(mask)).toBe('NXDOMAIN');
    expect(mask).toMatch(BYPASS_EDE);
    const maskH2 = await dig(k.port, 'mask-h2.icloud.com', 'AAAA');
    expect(statusOf(maskH2)).toBe('NXDOMAIN');
  });

  it('answers the Firefox canary itself: NXDOMAIN from special-names, before any list', async () => {
    const canary = await dig(k.port, 'use-application-dns.net', 'A');
    expect(statusOf(canary)).toBe('NXDOMAIN');
    // The bypass list carries it too (for the exports), but special-names answers first: no EDE.
    expect(canary).not.toMatch(/EDE:/);
  });

  it('answers the check name itself: its TXT and the status page address, not the upstream’s', async () => {
    const txt = await dig(k.port, 'check.kalkan.invalid', 'TXT', ['+short']);
    expect(txt.trim()).toBe(`"${CHECK_TXT}"`);
    const a = await dig(k.port, 'check.kalkan.invalid', 'A', ['+short']);
    expect(a.trim()).toBe('127.0.0.1');
    const other = await dig(k.port, 'other.kalkan.invalid', 'A', ['+short']);
    expect(other.trim()).toBe(UPSTREAM_WILDCARD.A);
  });
});

describe('a configured check name', () => {
  it('is answered with the configured addresses; the default one then goes upstream', async () => {
    const k = await startKalkan(tmp.dir, {
      upstreams: [`127.0.0.1:${unbound.port}`],
      setup: { checkName: 'am-i-safe.test', checkAddresses: ['192.0.2.53', '2001:db8::53'] },
    });
    servers.push(k);
    expect((await dig(k.port, 'am-i-safe.test', 'A', ['+short'])).trim()).toBe('192.0.2.53');
    expect((await dig(k.port, 'am-i-safe.test', 'AAAA', ['+short'])).trim()).toBe('2001:db8::53');
    expect((await dig(k.port, 'am-i-safe.test', 'TXT', ['+short'])).trim()).toBe(`"${CHECK_TXT}"`);
    expect((await dig(k.port, 'check.kalkan.invalid', 'A', ['+short'])).trim()).toBe(
      UPSTREAM_WILDCARD.A,
    );
  });
});
