/**
 * A school's install: Chromium force-installs the packed extension by policy
 * (`ExtensionInstallForcelist`, from an update manifest on a loopback server), which is what
 * lets Chrome grant blocking `webRequest`. Then a request to a hashed-list host never leaves
 * the browser: the host's test server sees none, after a positive control's request was seen.
 */
import { execFileSync } from 'node:child_process';
import { createHash, createPublicKey } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_PATH } from '../helpers/chromium.js';
import { freePort } from '../helpers/ports.js';
import {
  CHROME_DIR,
  ensureExtensionBuilt,
  launch,
  TestServers,
  visit,
} from './extension-harness.js';

const servers = new TestServers();
const dir = mkdtempSync(join(tmpdir(), 'kalkan-force-'));
const profile = join(dir, 'profile');
let updates: Server;
let browser: Awaited<ReturnType<typeof launch>>;
let ctx: BrowserContext;
let id: string;

/** The id Chrome gives a packed extension: from the SHA-256 of its public key (DER). */
function packedId(keyPem: string): string {
  const der = createPublicKey(keyPem).export({ type: 'spki', format: 'der' });
  const hex = createHash('sha256').update(der).digest('hex').slice(0, 32);
  return [...hex].map((c) => String.fromCharCode(97 + Number.parseInt(c, 16))).join('');
}

beforeAll(async () => {
  ensureExtensionBuilt();
  await servers.start();
  // Pack dist/chrome into a .crx with a key made for this run.
  const key = join(dir, 'key.pem');
  execFileSync('openssl', ['genpkey', '-algorithm', 'RSA', '-out', key], { stdio: 'ignore' });
  cpSync(CHROME_DIR, join(dir, 'ext'), { recursive: true });
  execFileSync(CHROMIUM_PATH, [
    '--headless',
    '--no-sandbox',
    `--pack-extension=${join(dir, 'ext')}`,
    `--pack-extension-key=${key}`,
  ]);
  const crx = readFileSync(join(dir, 'ext.crx'));
  id = packedId(readFileSync(key, 'utf8'));
  const version = JSON.parse(readFileSync(join(CHROME_DIR, 'manifest.json'), 'utf8')).version;
  const port = await freePort();
  updates = createServer((req, res) => {
    if (req.url?.startsWith('/update.xml')) {
      res.writeHead(200, { 'Content-Type': 'application/xml' });
      res.end(
        `<?xml version="1.0" encoding="UTF-8"?><gupdate xmlns="http://www.google.com/update2/response" protocol="2.0">` +
          `<app appid="${id}"><updatecheck codebase="http://127.0.0.1:${port}/kalkan.crx" version="${version}"/></app></gupdate>`,
      );
    } else {
      res.writeHead(200, { 'Content-Type': 'application/x-chrome-extension' });
      res.end(crx);
    }
  });
  await new Promise<void>((r) => updates.listen(port, '127.0.0.1', r));
  const policy = { ExtensionInstallForcelist: [`${id};http://127.0.0.1:${port}/update.xml`] };
  mkdirSync(profile);
  browser = await launch(servers, CHROME_DIR, { noUnpacked: true, policy, profile });
  ctx = browser.ctx;
});

afterAll(async () => {
  await browser?.close();
  updates?.close();
  servers.stop();
  rmSync(dir, { recursive: true, force: true });
});

interface InternalsEntry {
  id: string;
  location: string;
  event_listeners: { count: number };
  permissions: { active: { api: string[] } };
}

/** Chromium's own view of the installed extension (chrome://extensions-internals). */
async function internals(): Promise<InternalsEntry | undefined> {
  const page = await ctx.newPage();
  await page.goto('chrome://extensions-internals');
  const entries = JSON.parse(
    (await page.locator('body').textContent()) ?? '[]',
  ) as InternalsEntry[];
  await page.close();
  return entries.find((e) => e.id === id);
}

/** Every tab's URL, extension pages included (Playwright does not follow a policy install's pages). */
async function tabUrls(): Promise<string[]> {
  const page = ctx.pages()[0] ?? (await ctx.newPage());
  const cdp = await ctx.newCDPSession(page);
  const { targetInfos } = (await cdp.send('Target.getTargets')) as {
    targetInfos: { type: string; url: string }[];
  };
  await cdp.detach();
  return targetInfos.filter((t) => t.type === 'page').map((t) => t.url);
}

describe('force-installed by policy', () => {
  it('blocks with blocking webRequest: the listed host never sees a request', async () => {
    // Installed from the policy, with blocking webRequest granted and the worker's listeners on.
    await expect
      .poll(async () => (await internals())?.event_listeners.count ?? 0, {
        timeout: 60_000,
        interval: 1_000,
      })
      .toBeGreaterThan(0);
    const entry = await internals();
    expect(entry?.location).toBe('EXTERNAL_POLICY_DOWNLOAD');
    expect(entry?.permissions.active.api).toContain('webRequestBlocking');

    // Positive control: an unlisted host's request and script arrive.
    const control = await visit(ctx, 'http://control.kalkan-e2e.test/?tag=fi-control');
    await expect.poll(() => servers.beacons('fi-control'), { timeout: 10_000 }).toBeGreaterThan(0);
    expect(servers.requests('control.kalkan-e2e.test').length).toBeGreaterThan(0);
    await control.close();

    for (let i = 0; i < 5; i++) await visit(ctx, `http://f${i}.abuse-demo.test/path?tag=fi${i}`);
    const blockPages = async () =>
      (await tabUrls()).filter((u) => u.startsWith(`chrome-extension://${id}/pages/block.html`))
        .length;
    await expect.poll(blockPages, { timeout: 10_000 }).toBe(5);
    expect(servers.requests('abuse-demo.test')).toEqual([]);
  });
});
