/**
 * Shared harness for the extension's end-to-end tests: builds the extension when dist/ is
 * missing or older than its sources, runs loopback test servers (HTTP for reserved test names,
 * HTTPS for the search engines' names), and launches Debian's Chromium with the extension and
 * every host mapped to those servers.
 */
import { execFileSync, execSync } from 'node:child_process';
import { createHash, createPublicKey } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import {
  createServer as createHttp,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttps } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Worker } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../helpers/chromium.js';
import { freePort } from '../helpers/ports.js';

export const ROOT = join(import.meta.dirname, '../..');
export const CHROME_DIR = join(ROOT, 'dist/chrome');
/** The page answers after this long: a realistic round trip. */
export const PAGE_DELAY_MS = 100;
export const PROBE_HOST = 'probe.kalkan-e2e.test';

function newest(dir: string): number {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

/** Builds dist/ with `npm run build:extension` unless it is newer than extension/ and the lists. */
export function ensureExtensionBuilt(): void {
  const manifest = join(CHROME_DIR, 'manifest.json');
  const sources = Math.max(newest(join(ROOT, 'extension')), newest(join(ROOT, 'blocklists')));
  if (existsSync(manifest) && statSync(manifest).mtimeMs >= sources) return;
  if (!existsSync(join(ROOT, 'build/lists/demo-abuse.klb')))
    execSync('npm run build', { cwd: ROOT });
  execSync('npm run build:extension', { cwd: ROOT, stdio: 'ignore' });
}

export interface Seen {
  host: string;
  url: string;
  headers: IncomingMessage['headers'];
}

export class TestServers {
  readonly seen: Seen[] = [];
  /** Bytes served at /list.klb on any host. */
  list: Uint8Array = new Uint8Array();
  listEtag = '"0"';
  httpPort = 0;
  httpsPort = 0;
  private readonly closers: (() => void)[] = [];

  beacons(tag: string): number {
    return this.seen.filter((s) => s.host === PROBE_HOST && s.url.includes(`tag=${tag}`)).length;
  }

  requests(hostPart: string): Seen[] {
    return this.seen.filter((s) => s.host.includes(hostPart));
  }

  private handle = (req: IncomingMessage, res: ServerResponse): void => {
    const host = (req.headers.host ?? '').split(':')[0] ?? '';
    const url = req.url ?? '/';
    this.seen.push({ host, url, headers: req.headers });
    if (host === PROBE_HOST) {
      res.writeHead(204, { 'Access-Control-Allow-Origin': '*' }).end();
      return;
    }
    if (url.startsWith('/list.klb')) {
      if (req.headers['if-none-match'] === this.listEtag) res.writeHead(304).end();
      else
        res
          .writeHead(200, { 'Content-Type': 'application/octet-stream', ETag: this.listEtag })
          .end(this.list);
      return;
    }
    if (url.startsWith('/frame?')) {
      // A site that frames another address (the block page, in the framing test).
      const src = (new URL(url, 'http://x').searchParams.get('src') ?? '').replace(/"/g, '&quot;');
      res.writeHead(200, { 'Content-Type': 'text/html', 'Cache-Control': 'no-store' });
      res.end(`<!doctype html><p id="loaded">framer</p><iframe id="f" src="${src}"></iframe>`);
      return;
    }
    const tag = new URL(url, 'http://x').searchParams.get('tag') ?? 'none';
    setTimeout(() => {
      res.writeHead(200, { 'Content-Type': 'text/html', 'Cache-Control': 'no-store' });
      res.end(
        `<!doctype html><title>test page</title><p id="loaded">loaded ${host}</p>` +
          `<script>navigator.sendBeacon('http://${PROBE_HOST}/beacon?tag=${tag}');` +
          `new Image().src='http://${PROBE_HOST}/img?tag=${tag}';</script>`,
      );
    }, PAGE_DELAY_MS);
  };

  async start(): Promise<void> {
    const dir = mkdtempSync(join(tmpdir(), 'kalkan-tls-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=kalkan-e2e',
      ].concat(['-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')]),
      { stdio: 'ignore' },
    );
    const http = createHttp(this.handle);
    const https = createHttps(
      { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) },
      this.handle,
    );
    rmSync(dir, { recursive: true, force: true });
    this.httpPort = await freePort();
    this.httpsPort = await freePort();
    await new Promise<void>((r) => http.listen(this.httpPort, '127.0.0.1', r));
    await new Promise<void>((r) => https.listen(this.httpsPort, '127.0.0.1', r));
    for (const s of [http, https])
      this.closers.push(() => {
        s.closeAllConnections();
        s.close();
      });
  }

  stop(): void {
    for (const close of this.closers) close();
  }
}

export const SEARCH_HOSTS = [
  'www.google.com',
  'www.bing.com',
  'duckduckgo.com',
  'www.youtube.com',
] as const;

export interface LaunchOptions {
  /** A profile to reuse (a browser restart); it is then kept on close. */
  profile?: string;
  /** Extra command-line arguments. */
  args?: string[];
  /** Chrome policy (as in /etc/chromium/policies/managed/*.json) for this browser only. */
  policy?: Record<string, unknown>;
  /** Load no unpacked extension (the extension comes by policy instead). */
  noUnpacked?: boolean;
}

/** Default switches under which Chromium installs no extension by policy. */
const POLICY_INSTALL_BLOCKERS = [
  '--disable-extensions',
  '--disable-background-networking',
  '--disable-component-update',
];

/** The id Chromium gives an unpacked extension: from the SHA-256 of its real path. */
export function unpackedExtensionId(dir: string): string {
  const hex = createHash('sha256').update(realpathSync(dir)).digest('hex').slice(0, 32);
  return [...hex].map((c) => String.fromCharCode(97 + Number.parseInt(c, 16))).join('');
}

/** Policy for the extension itself (`storage.managed`), in Chrome's policy file form. */
export function extensionPolicy(dir: string, managed: Record<string, unknown>) {
  return { '3rdparty': { extensions: { [unpackedExtensionId(dir)]: managed } } };
}

/**
 * A Chromium that reads `policy` as machine policy, seen by no other process: a wrapper starts
 * it in a private mount namespace with a copy of /etc/chromium, holding the policy file,
 * bind-mounted over the real one (root only; the tests run as root here and in CI).
 */
function chromiumWithPolicy(policy: Record<string, unknown>): { path: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'kalkan-policy-'));
  const etc = join(dir, 'etc-chromium');
  mkdirSync(join(etc, 'policies/managed'), { recursive: true });
  for (const name of readdirSync('/etc/chromium'))
    if (name !== 'policies') copyFileSync(join('/etc/chromium', name), join(etc, name));
  writeFileSync(join(etc, 'policies/managed/kalkan-e2e.json'), JSON.stringify(policy));
  const path = join(dir, 'chromium');
  writeFileSync(
    path,
    `#!/bin/sh\nexec unshare -m --propagation private sh -c 'mount --bind "$0" /etc/chromium && exec ${CHROMIUM_PATH} "$@"' ${etc} "$@"\n`,
  );
  chmodSync(path, 0o755);
  return { path, dir };
}

export async function launch(
  servers: TestServers,
  extensionDir = CHROME_DIR,
  options: LaunchOptions = {},
) {
  const profile = options.profile ?? mkdtempSync(join(tmpdir(), 'kalkan-chromium-'));
  const map = [
    ...SEARCH_HOSTS.map((h) => `MAP ${h} 127.0.0.1:${servers.httpsPort}`),
    `MAP * 127.0.0.1:${servers.httpPort}`,
    // Loopback services the tests start themselves (the report intake) are reached as they are.
    'EXCLUDE 127.0.0.1',
  ].join(', ');
  const wrapped = options.policy ? chromiumWithPolicy(options.policy) : undefined;
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: wrapped?.path ?? CHROMIUM_PATH,
    ...(options.noUnpacked ? { ignoreDefaultArgs: POLICY_INSTALL_BLOCKERS } : {}),
    headless: true,
    ignoreHTTPSErrors: true,
    args: [
      ...(options.noUnpacked
        ? []
        : [`--disable-extensions-except=${extensionDir}`, `--load-extension=${extensionDir}`]),
      // A policy install needs the extension system and its downloader (every host still maps
      // to the loopback test servers below).
      ...CHROMIUM_ARGS.filter((a) => !(options.noUnpacked && POLICY_INSTALL_BLOCKERS.includes(a))),
      '--ignore-certificate-errors',
      '--disable-features=HttpsUpgrades,HttpsFirstBalancedModeAutoEnable',
      `--host-resolver-rules=${map}`,
      ...(options.args ?? []),
    ],
  });
  const close = async () => {
    await ctx.close().catch(() => undefined);
    if (!options.profile) rmSync(profile, { recursive: true, force: true });
    if (wrapped) rmSync(wrapped.dir, { recursive: true, force: true });
  };
  return { ctx, close, profile };
}

/** The id Chrome gives a packed extension: from the SHA-256 of its public key (DER). */
function packedId(keyPem: string): string {
  const der = createPublicKey(keyPem).export({ type: 'spki', format: 'der' });
  const hex = createHash('sha256').update(der).digest('hex').slice(0, 32);
  return [...hex].map((c) => String.fromCharCode(97 + Number.parseInt(c, 16))).join('');
}

export interface ForceInstalled {
  ctx: BrowserContext;
  /** The packed extension's id (the key is made per run). */
  id: string;
  close: () => Promise<void>;
}

/**
 * A school's install: dist/chrome packed into a .crx with a key made for this run and
 * force-installed by `ExtensionInstallForcelist` from an update manifest on a loopback server.
 * `policy(id)` adds machine policy (the extension's own under `3rdparty`, once its id is known).
 */
export async function forceInstall(
  servers: TestServers,
  policy: (id: string) => Record<string, unknown> = () => ({}),
): Promise<ForceInstalled> {
  const dir = mkdtempSync(join(tmpdir(), 'kalkan-force-'));
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
  const id = packedId(readFileSync(key, 'utf8'));
  const version = JSON.parse(readFileSync(join(CHROME_DIR, 'manifest.json'), 'utf8')).version;
  const port = await freePort();
  const updates: Server = createHttp((req, res) => {
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
  const profile = join(dir, 'profile');
  mkdirSync(profile);
  const browser = await launch(servers, CHROME_DIR, {
    noUnpacked: true,
    profile,
    policy: {
      ExtensionInstallForcelist: [`${id};http://127.0.0.1:${port}/update.xml`],
      ...policy(id),
    },
  });
  return {
    ctx: browser.ctx,
    id,
    close: async () => {
      await browser.close();
      updates.closeAllConnections();
      updates.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface InternalsEntry {
  id: string;
  location: string;
  event_listeners: { count: number };
  permissions: { active: { api: string[] } };
}

/** Chromium's own view of an installed extension (chrome://extensions-internals). */
export async function internals(
  ctx: BrowserContext,
  id: string,
): Promise<InternalsEntry | undefined> {
  const page = await ctx.newPage();
  await page.goto('chrome://extensions-internals');
  const entries = JSON.parse(
    (await page.locator('body').textContent()) ?? '[]',
  ) as InternalsEntry[];
  await page.close();
  return entries.find((e) => e.id === id);
}

/** Waits until Chromium has installed extension `id` and its worker has added listeners. */
export async function installed(ctx: BrowserContext, id: string): Promise<InternalsEntry> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const entry = await internals(ctx, id);
    if (entry && entry.event_listeners.count > 0) return entry;
    if (Date.now() > deadline) throw new Error(`extension ${id} was not installed within 60 s`);
    await sleep(1_000);
  }
}

/** Every tab's URL, extension pages included (Playwright does not follow a policy install's pages). */
export async function tabUrls(ctx: BrowserContext): Promise<string[]> {
  const page = ctx.pages()[0] ?? (await ctx.newPage());
  const cdp = await ctx.newCDPSession(page);
  const { targetInfos } = (await cdp.send('Target.getTargets')) as {
    targetInfos: { type: string; url: string }[];
  };
  await cdp.detach();
  return targetInfos.filter((t) => t.type === 'page').map((t) => t.url);
}

export async function serviceWorker(ctx: BrowserContext): Promise<Worker> {
  return ctx.serviceWorkers()[0] ?? (await ctx.waitForEvent('serviceworker'));
}

export function extensionId(worker: Worker): string {
  return worker.url().split('/')[2] as string;
}

/** Navigates a fresh page; a navigation the extension interrupts is not an error here. */
export async function visit(ctx: BrowserContext, url: string) {
  const page = await ctx.newPage();
  await page.goto(url, { waitUntil: 'commit', timeout: 10_000 }).catch(() => undefined);
  await page.waitForLoadState('domcontentloaded').catch(() => undefined);
  return page;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What the worker answers a page's message (extension/background/messages.ts `Reply`). */
export type WorkerReply = { ok: boolean; error?: string; [key: string]: unknown };

/** Sends `request` to the worker from an extension page, as the popup and options do. */
export async function askWorker(
  ctx: BrowserContext,
  extensionId: string,
  request: Record<string, unknown>,
): Promise<WorkerReply> {
  const page = await ctx.newPage();
  await page.goto(`chrome-extension://${extensionId}/pages/popup.html`);
  const reply = await page.evaluate(
    (r) => (globalThis as unknown as { chrome: ChromeApi }).chrome.runtime.sendMessage(r),
    request,
  );
  await page.close();
  return reply as WorkerReply;
}

/** The few `chrome.*` calls the tests make inside extension pages and the worker. */
export interface ChromeApi {
  runtime: { sendMessage(message: unknown): Promise<unknown> };
  storage: {
    local: {
      get(keys: null): Promise<Record<string, unknown>>;
      set(items: Record<string, unknown>): Promise<void>;
    };
  };
  alarms: { get(name: string): Promise<{ scheduledTime: number } | undefined> };
  declarativeNetRequest: {
    getSessionRules(): Promise<{ id: number; condition: { requestDomains?: string[] } }[]>;
    updateDynamicRules(options: { removeRuleIds?: number[]; addRules?: unknown[] }): Promise<void>;
    getDynamicRules(): Promise<{ id: number }[]>;
  };
}

export const chromeApi = (): ChromeApi => (globalThis as unknown as { chrome: ChromeApi }).chrome;

/** The onboarding page the extension opened itself at install (the only one a first PIN is taken from). */
export async function ownOnboarding(ctx: BrowserContext) {
  const isOnboarding = (p: { url(): string }) => p.url().includes('/pages/onboarding.html');
  const page = ctx.pages().find(isOnboarding) ?? (await ctx.waitForEvent('page', isOnboarding));
  await page.waitForLoadState('domcontentloaded');
  return page;
}

/** Sets the first PIN as a parent does: on that onboarding page, twice. */
export async function setFirstPin(ctx: BrowserContext, pin: string): Promise<void> {
  const page = await ownOnboarding(ctx);
  await page.locator('#pin-save:enabled').waitFor();
  await page.fill('#pin', pin);
  await page.fill('#pin2', pin);
  await page.click('#pin-save');
  await page.locator('#result.ok').waitFor({ timeout: 10_000 });
}

/**
 * Ticks "Allow in Incognito" for the extension (by default the unpacked one) in a closed profile, as a parent would
 * in chrome://extensions (Chromium on Linux does not enforce the preference's MAC).
 */
export function allowIncognito(profile: string, id = unpackedExtensionId(CHROME_DIR)): void {
  const path = join(profile, 'Default', 'Preferences');
  const prefs = JSON.parse(readFileSync(path, 'utf8')) as {
    extensions: { settings: Record<string, { incognito?: boolean }> };
  };
  const entry = prefs.extensions.settings[id];
  if (!entry) throw new Error(`${path}: the extension has no settings entry yet`);
  entry.incognito = true;
  writeFileSync(path, JSON.stringify(prefs));
}

/** Opens a new incognito window with `urls` from the worker; the first one starts a fresh incognito instance. */
export async function openIncognitoWindow(worker: Worker, urls: string[]): Promise<void> {
  await worker.evaluate(
    (u) =>
      (
        globalThis as unknown as { chrome: { windows: { create(o: object): Promise<unknown> } } }
      ).chrome.windows.create({ incognito: true, url: u }),
    urls,
  );
}

/** Closes every tab whose URL matches, through CDP (incognito tabs included, which Playwright does not list). */
export async function closeTabs(
  ctx: BrowserContext,
  matches: (url: string) => boolean,
): Promise<string[]> {
  const page = ctx.pages()[0] ?? (await ctx.newPage());
  const cdp = await ctx.newCDPSession(page);
  const { targetInfos } = (await cdp.send('Target.getTargets')) as {
    targetInfos: { targetId: string; type: string; url: string }[];
  };
  const closing = targetInfos.filter((t) => t.type === 'page' && matches(t.url));
  for (const t of closing) await cdp.send('Target.closeTarget', { targetId: t.targetId });
  await cdp.detach();
  return closing.map((t) => t.url);
}
