/**
 * Checks every main-frame and sub-frame navigation against the hashed lists. On Chrome the
 * check runs from the earliest events a worker can see (webRequest.onBeforeRequest, observing,
 * and webNavigation.onBeforeNavigate), whichever comes first; a hit sends the tab to the block
 * page and adds a session rule so the host is blocked synchronously from then on. On Firefox a
 * blocking webRequest listener answers before the request leaves. When the worker starts, open
 * tabs are swept too: a navigation that began before the listeners were registered (the first
 * one after install, or one that woke the worker) is caught by its pending URL.
 */
import { browser, type WebRequest } from './api.js';
import { forgetTab, navigationCommitted, navigationStarted } from './blocked-targets.js';
import { hashedLists } from './hashed-lists.js';
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

export function registerNavigationGuard(blockingWebRequest: boolean): void {
  browser.webNavigation.onBeforeNavigate.addListener((d) => {
    remember(d.tabId, d.frameId, d.url);
    navigationStarted(d.tabId, d.frameId, d.url);
    void check(d.tabId, d.url);
  });
  browser.webNavigation.onCommitted.addListener((d) => {
    void navigationCommitted(d.tabId, d.frameId, d.url);
  });
  if (blockingWebRequest) {
    browser.webRequest.onBeforeRequest.addListener(
      async (d) => {
        const verdict = await verdictFor(d.url);
        if (!verdict.blocked) return {};
        if (verdict.wholeHost) void addHitRules(verdict.host, verdict.category);
        if (d.type === 'main_frame')
          return { redirectUrl: browser.runtime.getURL(verdict.blockPagePath) };
        void act(d.tabId, verdict);
        return { cancel: true };
      },
      FILTER,
      ['blocking'],
    );
  } else {
    browser.webRequest.onBeforeRequest.addListener((d) => {
      void check(d.tabId, d.url);
    }, FILTER);
  }
  browser.tabs.onRemoved.addListener((tabId) => {
    lastTarget.delete(tabId);
    void forgetTab(tabId);
  });
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
