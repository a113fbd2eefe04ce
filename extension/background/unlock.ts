/**
 * "Ask a parent": after the PIN, an adult-category block is lifted for one host, in the one tab
 * that was blocked, for a chosen time, by a session allow rule. Abuse blocks are never lifted:
 * their rules have a higher priority than any unlock, and the worker refuses to unlock a host
 * any hashed list blocks.
 */
import { browser, type DeclarativeNetRequest } from './api.js';
import { ALL_RESOURCE_TYPES } from './session-rules.js';

export const UNLOCK_ALARM = 'kalkan-unlock-expiry';
export const UNLOCK_RULE_IDS = { first: 100_000, last: 199_999 } as const;
/** Above list allow (2) and block (1) priorities, below hashed-list hits (100). */
export const UNLOCK_PRIORITY = 50;
export const UNLOCK_MINUTES = [15, 30, 60, 120] as const;
const UNLOCKS_KEY = 'unlocks';

interface Unlock {
  host: string;
  tabId: number;
  expiresAt: number;
  ruleId: number;
}

export function unlockRule(host: string, tabId: number, id: number): DeclarativeNetRequest.Rule {
  return {
    id,
    priority: UNLOCK_PRIORITY,
    action: { type: 'allow' },
    // Without resourceTypes a rule matches everything except main_frame.
    condition: { requestDomains: [host], tabIds: [tabId], resourceTypes: [...ALL_RESOURCE_TYPES] },
  };
}

async function readUnlocks(): Promise<Unlock[]> {
  return ((await browser.storage.session.get(UNLOCKS_KEY))[UNLOCKS_KEY] ?? []) as Unlock[];
}

async function schedule(unlocks: Unlock[]): Promise<void> {
  await browser.alarms.clear(UNLOCK_ALARM);
  const next = unlocks.reduce((min, u) => Math.min(min, u.expiresAt), Number.POSITIVE_INFINITY);
  if (Number.isFinite(next)) await browser.alarms.create(UNLOCK_ALARM, { when: next });
}

export async function unlockHost(
  host: string,
  tabId: number,
  minutes: number,
  now = Date.now(),
): Promise<void> {
  const all = await readUnlocks();
  const replaced = all.filter((u) => u.host === host && u.tabId === tabId);
  const unlocks = all.filter((u) => !replaced.includes(u));
  const used = new Set(unlocks.map((u) => u.ruleId));
  let id: number = UNLOCK_RULE_IDS.first;
  while (used.has(id)) id++;
  await browser.declarativeNetRequest.updateSessionRules({
    removeRuleIds: replaced.map((u) => u.ruleId),
    addRules: [unlockRule(host, tabId, id)],
  });
  unlocks.push({ host, tabId, ruleId: id, expiresAt: now + minutes * 60_000 });
  await browser.storage.session.set({ [UNLOCKS_KEY]: unlocks });
  await schedule(unlocks);
}

export async function expireUnlocks(now = Date.now()): Promise<void> {
  const unlocks = await readUnlocks();
  const expired = unlocks.filter((u) => u.expiresAt <= now);
  if (!expired.length) return;
  await browser.declarativeNetRequest.updateSessionRules({
    removeRuleIds: expired.map((u) => u.ruleId),
  });
  const left = unlocks.filter((u) => u.expiresAt > now);
  await browser.storage.session.set({ [UNLOCKS_KEY]: left });
  await schedule(left);
}
