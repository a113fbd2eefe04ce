/**
 * The incognito gate (Chrome, when the extension may run in incognito). A fresh incognito
 * instance's worker starts only after that instance's first navigation has gone out and its
 * page has run: measured here, the split-mode incognito worker started ~200 ms after the
 * server got the request, and even a warm worker (`spanning`) got the navigation's events
 * ~180 ms after it. Session rules are shared by the regular and the incognito instance, and
 * are in force from an incognito window's first request. So one session rule blocks every
 * http(s) main-frame load in any tab neither instance has taken on yet (`excludedTabIds`):
 * the regular instance takes on its tabs at once (its worker is warm and checks them as
 * before); the incognito instance takes on its own once its lists are loaded, then sends the
 * gated tabs on (block page or a reload). Fail closed: a fresh incognito window's first page
 * shows an error for a moment, never an unchecked page.
 */
import { browser } from './api.js';

export const TAB_GATE_RULE_ID = 200_000;
/** Requests outside any tab (-1: the browser's own, service workers) are never gated. */
const OUTSIDE_TABS = -1;

function gateRule(excluded: number[]) {
  return {
    id: TAB_GATE_RULE_ID,
    priority: 1_000,
    action: { type: 'block' as const },
    condition: {
      urlFilter: '|http',
      resourceTypes: ['main_frame' as const],
      excludedTabIds: [OUTSIDE_TABS, ...excluded],
    },
  };
}

async function excludedNow(): Promise<number[]> {
  const rules = await browser.declarativeNetRequest.getSessionRules();
  const gate = rules.find((r) => r.id === TAB_GATE_RULE_ID);
  return (gate?.condition.excludedTabIds ?? []).filter((id) => id !== OUTSIDE_TABS);
}

let writing: Promise<void> = Promise.resolve();

/**
 * Rewrites the one gate rule with `change` applied; the two instances share it, so each write
 * is read back and retried until this instance's change is in it.
 */
function updateGate(change: (ids: Set<number>) => void, holds: (ids: Set<number>) => boolean) {
  writing = writing.then(async () => {
    for (let attempt = 0; attempt < 5; attempt++) {
      const ids = new Set(await excludedNow());
      change(ids);
      await browser.declarativeNetRequest.updateSessionRules({
        removeRuleIds: [TAB_GATE_RULE_ID],
        addRules: [gateRule([...ids])],
      });
      if (holds(new Set(await excludedNow()))) return;
    }
  });
  return writing.catch(() => undefined);
}

/** When this instance took each tab on (epoch ms). */
const admittedAt = new Map<number, number>();
/** Tabs whose load the gate stopped before this instance took them on: their URL. */
const stoppedEarly = new Map<number, string>();
type SendOn = (tabId: number, url: string) => Promise<void>;

/** Takes tabs on: their loads are no longer gated; a load stopped before is sent on. */
export async function admitTabs(tabIds: number[], sendOn: SendOn): Promise<void> {
  await updateGate(
    (ids) => {
      for (const id of tabIds) ids.add(id);
    },
    (ids) => tabIds.every((id) => ids.has(id)),
  );
  for (const id of tabIds) {
    if (!admittedAt.has(id)) admittedAt.set(id, Date.now());
    const url = stoppedEarly.get(id);
    stoppedEarly.delete(id);
    if (url) await sendOn(id, url);
  }
}

/**
 * A new tab whose first load started before the tab was taken on (a link opened in a new tab)
 * was stopped by the gate: it is sent on once (checked first), now that the gate lets it pass.
 */
export async function sendOnIfGated(
  d: {
    tabId: number;
    frameId: number;
    url: string;
    /** Chrome's; the polyfill's types (Firefox's) leave it out. */
    error?: string;
    timeStamp: number;
  },
  sendOn: SendOn,
): Promise<void> {
  if (d.frameId !== 0 || !d.error?.includes('ERR_BLOCKED_BY_CLIENT')) return;
  const since = admittedAt.get(d.tabId);
  if (since === undefined) {
    stoppedEarly.set(d.tabId, d.url);
    return;
  }
  if (d.timeStamp > since) return;
  admittedAt.set(d.tabId, Number.NEGATIVE_INFINITY);
  await sendOn(d.tabId, d.url);
}

export function forgetGatedTab(tabId: number): Promise<void> {
  admittedAt.delete(tabId);
  stoppedEarly.delete(tabId);
  return updateGate(
    (ids) => ids.delete(tabId),
    (ids) => !ids.has(tabId),
  );
}

/** The gate is on only where incognito is allowed (a fresh incognito instance can start). */
export async function incognitoGateWanted(): Promise<boolean> {
  return browser.extension.isAllowedIncognitoAccess();
}

/** Takes on every tab this instance can see (all of its own). */
export async function admitOpenTabs(sendOn: SendOn): Promise<void> {
  const tabs = await browser.tabs.query({});
  await admitTabs(
    tabs.flatMap((t) => (t.id === undefined ? [] : [t.id])),
    sendOn,
  );
}

/** Removes the gate (incognito no longer allowed). */
export async function removeTabGate(): Promise<void> {
  await browser.declarativeNetRequest.updateSessionRules({ removeRuleIds: [TAB_GATE_RULE_ID] });
}
