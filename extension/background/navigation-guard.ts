/**
 * Checks every main-frame and sub-frame navigation against the hashed lists.
 * - Firefox, and Chrome when it grants blocking `webRequest` (only to extensions force-installed
 *   by policy, with `webRequestBlocking` in the manifest): the listener answers before the
 *   request leaves, so a listed server never sees it. Chrome needs the answer synchronously:
 *   while no matcher has loaded yet (the first moments of a woken worker) the request is held
 *   (cancelled) and the tab sent on once the lists answer (`releaseHeldNavigations`).
 * - Otherwise (Chrome without policy) the check runs from the earliest events a worker can see
 *   (webRequest.onBeforeRequest, observing, and webNavigation.onBeforeNavigate), whichever
 *   comes first; a hit sends the tab to the block page. The request itself has left.
 * A hit also adds a session rule so the host is blocked synchronously from then on. When the
 * worker starts, open tabs are swept too: a navigation that began before the listeners were
 * registered (the first one after install, or one that woke the worker) is caught by its
 * pending URL.
 */
import { browser, type WebRequest } from './api.js';
import { forgetTab, navigationCommitted, navigationStarted } from './blocked-targets.js';
import { hashedLists, hashedListsNow } from './hashed-lists.js';
import { checkNavigation, type NavigationVerdict } from './navigation-check.js';
import { addHitRules } from './session-rules.js';

const FILTER: WebRequest.RequestFilter = {
  urls: ['http://*/*', 'https://*/*'],
  types: ['main_frame', 'sub_frame'],
};
/** The same hit reported by two events is acted on once. */
const REPEAT_MS = 2_000;
const recent = new Map<string, number>();
/** The last http(s) page each tab went to: the block page of a DNR block asks for its host. */
const lastTarget = new Map<number, string>();

async function verdictFor(url: string): Promise<NavigationVerdict> {
  return checkNavigation((await hashedLists()).matcher, url);
}

async function act(tabId: number, verdict: NavigationVerdict & { blocked: true }): Promise<void> {
  const key = `${tabId} ${verdict.host}`;
  const now = Date.now();
  if ((recent.get(key) ?? 0) > now - REPEAT_MS) return;
  recent.set(key, now);
  await Promise.all([
    tabId >= 0
      ? browser.tabs.update(tabId, { url: browser.runtime.getURL(verdict.blockPagePath) })
      : undefined,
    verdict.wholeHost ? addHitRules(verdict.host, verdict.category) : undefined,
  ]);
}

async function check(tabId: number, url: string): Promise<void> {
  const verdict = await verdictFor(url);
  if (verdict.blocked) await act(tabId, verdict);
}

function remember(tabId: number, frameId: number, url: string): void {
  if (frameId === 0 && (url.startsWith('http:') || url.startsWith('https:')))
    lastTarget.set(tabId, url);
}

export function lastTargetOf(tabId: number): string | undefined {
  return lastTarget.get(tabId);
}

/** How navigations are checked in this browser (docs/extension.md, "What each install guarantees"). */
export type GuardMode = 'blocking' | 'observing';

/** Main-frame navigations cancelled while no matcher had loaded, by tab. */
const held = new Map<number, string>();

/** Chrome's blocking answer: synchronous, so only with a matcher already loaded. */
function answerNow(d: WebRequest.OnBeforeRequestDetailsType): WebRequest.BlockingResponse {
  const loaded = hashedListsNow();
  if (!loaded) {
    // Fail closed: the request does not leave; the tab goes on once the lists answer.
    if (d.type === 'main_frame' && d.tabId >= 0) held.set(d.tabId, d.url);
    return { cancel: true };
  }
  const verdict = checkNavigation(loaded.matcher, d.url);
  if (!verdict.blocked) return {};
  if (verdict.wholeHost) void addHitRules(verdict.host, verdict.category);
  if (d.type === 'main_frame')
    return { redirectUrl: browser.runtime.getURL(verdict.blockPagePath) };
  void act(d.tabId, verdict);
  return { cancel: true };
}

/** Firefox's blocking answer may wait for the matcher. */
async function answerLater(
  d: WebRequest.OnBeforeRequestDetailsType,
): Promise<WebRequest.BlockingResponse> {
  const verdict = await verdictFor(d.url);
  if (!verdict.blocked) return {};
  if (verdict.wholeHost) void addHitRules(verdict.host, verdict.category);
  if (d.type === 'main_frame')
    return { redirectUrl: browser.runtime.getURL(verdict.blockPagePath) };
  void act(d.tabId, verdict);
  return { cancel: true };
}

let mode: GuardMode = 'observing';

export function guardMode(): GuardMode {
  return mode;
}

export function registerNavigationGuard(target: 'chrome' | 'firefox'): GuardMode {
  browser.webNavigation.onBeforeNavigate.addListener((d) => {
    remember(d.tabId, d.frameId, d.url);
    navigationStarted(d.tabId, d.frameId, d.url);
    void check(d.tabId, d.url);
  });
  browser.webNavigation.onCommitted.addListener((d) => {
    void navigationCommitted(d.tabId, d.frameId, d.url);
  });
  browser.tabs.onRemoved.addListener((tabId) => {
    lastTarget.delete(tabId);
    held.delete(tabId);
    void forgetTab(tabId);
  });
  if (target === 'firefox') {
    browser.webRequest.onBeforeRequest.addListener(answerLater, FILTER, ['blocking']);
    mode = 'blocking';
    return mode;
  }
  try {
    // Throws unless Chrome granted webRequestBlocking (a policy install).
    browser.webRequest.onBeforeRequest.addListener(answerNow, FILTER, ['blocking']);
    mode = 'blocking';
  } catch {
    browser.webRequest.onBeforeRequest.addListener((d) => {
      void check(d.tabId, d.url);
    }, FILTER);
  }
  return mode;
}

/** Sends on the navigations held while the lists loaded: to the block page or where they went. */
export async function releaseHeldNavigations(): Promise<void> {
  const waiting = [...held];
  held.clear();
  await Promise.all(waiting.map(([tabId, url]) => sendOn(tabId, url)));
}

/** A navigation that was stopped before it was checked goes on: to the block page or to `url`. */
export async function sendOn(tabId: number, url: string): Promise<void> {
  const verdict = await verdictFor(url);
  if (verdict.blocked) await act(tabId, verdict);
  else await browser.tabs.update(tabId, { url }).catch(() => undefined);
}

/** Checks what every open tab shows or is about to show. */
export async function sweepOpenTabs(): Promise<void> {
  const tabs = await browser.tabs.query({});
  await Promise.all(
    tabs.map((tab) => {
      const url = (tab as { pendingUrl?: string }).pendingUrl ?? tab.url;
      return tab.id !== undefined && url ? check(tab.id, url) : undefined;
    }),
  );
}
