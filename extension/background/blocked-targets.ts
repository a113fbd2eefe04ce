/**
 * What each tab was last blocked from: the http(s) address a main-frame navigation was headed to
 * when the browser redirected it to the block page (a DNR block: the adult list or a hit rule).
 * An unlock lifts only this, never a host named in the block page's own URL, which anybody can
 * type. Kept in `storage.session` (memory only, gone when the browser closes) so a worker that
 * stopped still knows; written only when a block happens or a blocked tab moves on.
 */
import { BLOCK_PAGE } from '../manifest.js';
import { browser } from './api.js';

export interface BlockedTarget {
  url: string;
  category: string;
}

const KEY = 'blockedTargets';
/** The address each tab's current main-frame navigation started for (any scheme). */
const pending = new Map<number, string>();
let targets: Promise<Map<number, BlockedTarget>> | undefined;

function load(): Promise<Map<number, BlockedTarget>> {
  targets ??= browser.storage.session.get(KEY).then((stored) => {
    const entries = (stored[KEY] ?? []) as [number, BlockedTarget][];
    return new Map(entries);
  });
  return targets;
}

async function save(map: Map<number, BlockedTarget>): Promise<void> {
  await browser.storage.session.set({ [KEY]: [...map] });
}

function isHttp(url: string): boolean {
  return url.startsWith('http:') || url.startsWith('https:');
}

/** The block page's URL, whatever id the browser shows it under (`use_dynamic_url`). */
export function isBlockPage(url: string): boolean {
  try {
    const parsed = new URL(url);
    return (
      (parsed.protocol === 'chrome-extension:' || parsed.protocol === 'moz-extension:') &&
      parsed.pathname === `/${BLOCK_PAGE}`
    );
  } catch {
    return false;
  }
}

export function navigationStarted(tabId: number, frameId: number, url: string): void {
  if (frameId === 0) pending.set(tabId, url);
}

/**
 * A main frame committed. The block page arriving straight from an http(s) navigation is a
 * redirect by a block rule: that address is recorded. Anything else but the block page clears
 * the tab's record (the child has moved on).
 */
export async function navigationCommitted(
  tabId: number,
  frameId: number,
  url: string,
): Promise<void> {
  if (frameId !== 0) return;
  const started = pending.get(tabId);
  pending.delete(tabId);
  if (isBlockPage(url)) {
    if (!started || !isHttp(started)) return;
    const category = new URL(url).searchParams.get('c') ?? 'abuse';
    const map = await load();
    map.set(tabId, { url: started, category });
    await save(map);
    return;
  }
  const map = await load();
  if (map.delete(tabId)) await save(map);
}

export async function blockedTargetOf(tabId: number): Promise<BlockedTarget | undefined> {
  return (await load()).get(tabId);
}

export async function forgetTab(tabId: number): Promise<void> {
  pending.delete(tabId);
  const map = await load();
  if (map.delete(tabId)) await save(map);
}
