/**
 * Chromium (Debian's, headless) using Kalkan as its DNS over HTTPS server in secure mode
 * (issue 14): the `dns_over_https.mode: secure` and `dns_over_https.templates` settings the
 * DnsOverHttpsMode / DnsOverHttpsTemplates policies set, written into the profile's Local State;
 * the test CA's server key trusted with --ignore-certificate-errors-spki-list. Kalkan's plain
 * port is known to nobody, so every name Chromium resolves came over DoH. The test upstream
 * resolves the listed name too (to the same local web server): only Kalkan's block stops it.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../helpers/chromium.js';
import { freePort } from '../helpers/ports.js';
import {
  dig,
  type Kalkan,
  startKalkan,
  startUnbound,
  statusOf,
  tempDir,
  type Unbound,
  waitFor,
} from '../helpers/resolver.js';
import { makeTestCa, spkiHash } from '../helpers/test-ca.js';

const LISTED = 'abuse-demo.test';
const OPEN = 'open.kalkan.test';

let tmp: Awaited<ReturnType<typeof tempDir>>;
let upstream: Unbound;
let k: Kalkan;
let web: Server;
let webPort: number;
let profile: string;
let browser: BrowserContext;

beforeAll(async () => {
  tmp = await tempDir('kalkan-doh-chromium-');
  const ca = await makeTestCa(tmp.dir);
  const pair = await ca.issue('server');
  upstream = await startUnbound(
    tmp.dir,
    [LISTED, OPEN].map((n) => `${n}. 300 IN A 127.0.0.1`),
    ['test'],
  );
  const doh = await freePort();
  k = await startKalkan(tmp.dir, {
    upstreams: [`127.0.0.1:${upstream.port}`],
    doh: [`127.0.0.1:${doh}`],
    tls: pair,
    // Names asked are logged here only to show they came to Kalkan (the default logs none).
    queryLog: true,
  });
  web = createServer((_req, res) => res.end('<title>kalkan-test-page</title>'));
  await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
  webPort = (web.address() as { port: number }).port;
  profile = await mkdtemp(join(tmpdir(), 'kalkan-chromium-profile-'));
  await writeFile(
    join(profile, 'Local State'),
    JSON.stringify({
      dns_over_https: { mode: 'secure', templates: `https://127.0.0.1:${doh}/dns-query{?dns}` },
    }),
  );
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [...CHROMIUM_ARGS, `--ignore-certificate-errors-spki-list=${await spkiHash(pair.cert)}`],
  });
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await k?.stop();
  await upstream?.stop();
  web?.close();
  await tmp?.remove();
  if (profile) await rm(profile, { recursive: true, force: true });
});

const askedKalkan = (name: string) =>
  k
    .stdout()
    .split('\n')
    .some((line) => line.includes('"query-log"') && line.includes(`"name":"${name}"`));

it('opens an unlisted name resolved over DoH by Kalkan', async () => {
  const page = await browser.newPage();
  await page.goto(`http://${OPEN}:${webPort}/`, { timeout: 30_000 });
  expect(await page.title()).toBe('kalkan-test-page');
  // The query log is written asynchronously: wait for the line.
  await waitFor(async () => askedKalkan(OPEN), 10_000, 'the query in the log');
  await page.close();
});

it('cannot open a listed name (the upstream alone would resolve it)', async () => {
  expect(statusOf(await dig(upstream.port, LISTED))).toBe('NOERROR');
  const page = await browser.newPage();
  const error = await page.goto(`http://${LISTED}:${webPort}/`, { timeout: 30_000 }).then(
    () => undefined,
    (e: Error) => e.message,
  );
  expect(error).toMatch(/ERR_NAME_NOT_RESOLVED/);
  const blocked = new RegExp(`"name":"${LISTED}","type":"A","rcode":"NXDOMAIN","category":"abuse"`);
  await waitFor(async () => blocked.test(k.stdout()), 10_000, 'the block in the query log');
  await page.close();
});
