/**
 * Build-time list compilation, the uBlock Origin Lite way: the bundled plaintext lists become
 * static DNR rulesets (adult, and bypass: public DoH endpoints a page could resolve through),
 * safe search becomes another, and the hashed lists are packaged as their signed bytes (never
 * as text). Runs in Node from vite.config.ts before the extension build.
 */
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadBundle } from '../../blocklists/bundle/load.js';
import { type DnrBrowser, dnrRules } from '../../blocklists/exports/dnr.js';
import { readableList } from '../../blocklists/exports/readable.js';
import { decodePublicKey } from '../../blocklists/keys.js';
import { BLOCK_PAGE } from '../manifest.js';
import { installGateRules } from '../rules/install-gate.js';
import { safeSearchRules } from '../rules/safe-search.js';

export interface GenerateOptions {
  /** Repository root. */
  root: string;
  /** Directory vite copies into the package as is (its publicDir). */
  outDir: string;
  /** The rule schema of the target browser. */
  browser: DnrBrowser;
}

export const PINNED_KEY_FILES = ['blocklists/demo/demo-publisher.pub'];
export const PACKAGED_HASHED_LISTS = ['build/lists/demo-abuse.klb'];
const PLAINTEXT_LIST = 'build/lists/demo-adult.klb';
/** Public DoH/DoT resolvers (blocklists/bypass/): any request to them is blocked, no block page. */
const BYPASS_LIST = 'build/lists/kalkan-bypass.klb';

async function read(root: string, path: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(join(root, path)));
  } catch {
    throw new Error(`${path} is missing: run "npm run build" first (it builds the demo lists)`);
  }
}

/** Pinned publisher keys as the one-line text form, for the service worker. */
export async function pinnedKeys(root: string): Promise<string[]> {
  return Promise.all(
    PINNED_KEY_FILES.map(async (f) => new TextDecoder().decode(await read(root, f)).trim()),
  );
}

export async function generate({ root, outDir, browser }: GenerateOptions): Promise<void> {
  const keys = (await pinnedKeys(root)).map((k) => decodePublicKey(k, 'pinned key'));
  await rm(outDir, { recursive: true, force: true });
  await mkdir(join(outDir, 'rules'), { recursive: true });
  await mkdir(join(outDir, 'lists'), { recursive: true });

  const adult = await loadBundle(await read(root, PLAINTEXT_LIST), { trustedKeys: keys });
  const rules = dnrRules(readableList(adult), {
    browser,
    blockPagePath: `/${BLOCK_PAGE}?c=${encodeURIComponent(adult.meta.category)}`,
  });
  await writeFile(join(outDir, 'rules/adult.json'), JSON.stringify(rules));
  const bypass = await loadBundle(await read(root, BYPASS_LIST), { trustedKeys: keys });
  await writeFile(
    join(outDir, 'rules/bypass.json'),
    JSON.stringify(dnrRules(readableList(bypass), { browser })),
  );
  await writeFile(join(outDir, 'rules/safe_search.json'), JSON.stringify(safeSearchRules()));
  await writeFile(join(outDir, 'rules/install_gate.json'), JSON.stringify(installGateRules()));

  const packaged: string[] = [];
  for (const path of PACKAGED_HASHED_LISTS) {
    const bytes = await read(root, path);
    const bundle = await loadBundle(bytes, { trustedKeys: keys });
    if (bundle.plaintext)
      throw new Error(`${path}: a packaged hashed list must carry no plaintext`);
    const name = path.split('/').pop() as string;
    await copyFile(join(root, path), join(outDir, 'lists', name));
    packaged.push(`lists/${name}`);
  }
  await writeFile(join(outDir, 'lists/index.json'), JSON.stringify(packaged));
  await copyFile(join(root, 'extension/managed_schema.json'), join(outDir, 'managed_schema.json'));
}

/** Where a fresh install's reports go before anybody sets a destination (vite `define`). */
export interface DefaultDestination {
  reportDestination: string;
  reportUnitKey: string;
}

/** The demo unit: its key pair is in the repository, for development only. */
export const DEMO_UNIT_PUB = 'extension/build/demo-unit/unit.pub';
export const DEMO_INTAKE_URL = 'http://127.0.0.1:8443/';

/**
 * The destination built into the package, so a parent's install seals and sends a report at
 * once: `KALKAN_REPORT_DESTINATION` (the unit's intake URL) with `KALKAN_REPORT_UNIT_KEY` (the
 * path of its unit.pub) for a release; `KALKAN_REPORT_DESTINATION=none` for no default; unset,
 * the demo unit on this machine (development).
 */
export async function defaultDestination(
  root: string,
  env: Record<string, string | undefined> = process.env,
): Promise<DefaultDestination> {
  const url = env.KALKAN_REPORT_DESTINATION;
  if (url === 'none') return { reportDestination: '', reportUnitKey: '' };
  if (url === undefined) {
    const key = new TextDecoder().decode(await read(root, DEMO_UNIT_PUB)).trim();
    return { reportDestination: DEMO_INTAKE_URL, reportUnitKey: key };
  }
  const keyPath = env.KALKAN_REPORT_UNIT_KEY;
  if (!keyPath)
    throw new Error(
      'KALKAN_REPORT_DESTINATION is set but KALKAN_REPORT_UNIT_KEY (the path of the unit.pub the reports are sealed to) is not',
    );
  const key = new TextDecoder().decode(await read(root, keyPath)).trim();
  if (!key.startsWith('kalkan-x25519-public '))
    throw new Error(
      `KALKAN_REPORT_UNIT_KEY ${keyPath}: not a unit public key (kalkan-x25519-public …)`,
    );
  return { reportDestination: url, reportUnitKey: key };
}
