/**
 * Session DNR rules for hosts the service worker found on a hashed list: once a host is hit,
 * later loads of it (and its subdomains) are redirected or blocked by the browser itself,
 * synchronously, with no worker involved. Session rules live until the browser closes, so no
 * list of visited hosts is written to disk.
 */
import { allResourceTypes, subresourceTypes } from '../../blocklists/exports/dnr.js';
import { browser, type DeclarativeNetRequest } from './api.js';
import { blockPagePath } from './navigation-check.js';
import { TARGET_BROWSER } from './target.js';

/** Above every list and unlock rule: a hashed-list block is never overridden. */
export const HASHED_BLOCK_PRIORITY = 100;
export const HIT_RULE_IDS = { first: 1, last: 99_999 } as const;
const MAX_HIT_HOSTS = 2_000;
// The polyfill's types follow Firefox; Chrome's two extra types are valid where they are used.
type ResourceTypes = DeclarativeNetRequest.ResourceType[];
const SUBRESOURCES = subresourceTypes(TARGET_BROWSER) as ResourceTypes;
export const ALL_RESOURCE_TYPES: readonly DeclarativeNetRequest.ResourceType[] = allResourceTypes(
  TARGET_BROWSER,
) as ResourceTypes;

export function hitRules(
  host: string,
  category: string,
  firstId: number,
): DeclarativeNetRequest.Rule[] {
  return [
    {
      id: firstId,
      priority: HASHED_BLOCK_PRIORITY,
      action: { type: 'redirect', redirect: { extensionPath: blockPagePath(category, host) } },
      condition: { requestDomains: [host], resourceTypes: ['main_frame'] },
    },
    {
      id: firstId + 1,
      priority: HASHED_BLOCK_PRIORITY,
      action: { type: 'block' },
      condition: { requestDomains: [host], resourceTypes: SUBRESOURCES },
    },
  ];
}

function isHitRule(rule: DeclarativeNetRequest.Rule): boolean {
  return rule.id >= HIT_RULE_IDS.first && rule.id <= HIT_RULE_IDS.last;
}

/** The hosts that already have hit rules, oldest first. */
export async function hitHosts(): Promise<string[]> {
  const rules = (await browser.declarativeNetRequest.getSessionRules()).filter(
    (r) => isHitRule(r) && r.action.type === 'redirect',
  );
  return rules.sort((a, b) => a.id - b.id).map((r) => r.condition.requestDomains?.[0] ?? '');
}

let queue: Promise<unknown> = Promise.resolve();

/** Adds hit rules for `host` (idempotent). Calls are serialized so ids never collide. */
export function addHitRules(host: string, category: string): Promise<void> {
  const next = queue.then(async () => {
    const rules = (await browser.declarativeNetRequest.getSessionRules()).filter(isHitRule);
    if (rules.some((r) => r.condition.requestDomains?.[0] === host)) return;
    const used = rules.map((r) => r.id);
    let firstId = used.reduce((max, id) => Math.max(max, id), 0) + 1;
    let removeRuleIds: number[] = [];
    if (firstId + 1 > HIT_RULE_IDS.last || rules.length / 2 >= MAX_HIT_HOSTS) {
      // Start over from the lowest ids; the oldest hosts fall back to the worker's check.
      removeRuleIds = used;
      firstId = HIT_RULE_IDS.first;
    }
    await browser.declarativeNetRequest.updateSessionRules({
      removeRuleIds,
      addRules: hitRules(host, category, firstId),
    });
  });
  queue = next.catch(() => undefined);
  return next;
}

/** Drops hit rules for hosts no longer on any list (after an update removed them). */
export function pruneHitRules(stillBlocked: (host: string) => boolean): Promise<void> {
  const next = queue.then(async () => {
    const rules = (await browser.declarativeNetRequest.getSessionRules()).filter(isHitRule);
    const stale = rules.filter((r) => !stillBlocked(r.condition.requestDomains?.[0] ?? ''));
    if (stale.length)
      await browser.declarativeNetRequest.updateSessionRules({
        removeRuleIds: stale.map((r) => r.id),
      });
  });
  queue = next.catch(() => undefined);
  return next;
}
