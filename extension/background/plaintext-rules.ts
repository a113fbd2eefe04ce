/**
 * Subscribed plaintext lists as dynamic DNR rules, domains packed into `requestDomains`
 * (blocklists/exports/dnr.ts). All dynamic list rules are replaced in one call, so the browser
 * swaps the old set for the new one atomically.
 */
import { loadBundle } from '../../blocklists/bundle/load.js';
import { type DnrRule, dnrRules } from '../../blocklists/exports/dnr.js';
import { readableList } from '../../blocklists/exports/readable.js';
import { browser, type DeclarativeNetRequest } from './api.js';
import type { StoredList } from './list-store.js';
import { blockPagePath } from './navigation-check.js';
import { TARGET_BROWSER } from './target.js';
import { keysFor } from './trusted-keys.js';

/** Dynamic rule ids of plaintext lists start here (below: none used). */
export const LIST_RULE_FIRST_ID = 1;

export async function plaintextRules(
  lists: StoredList[],
  keyOf: (url: string) => string | undefined,
  categoryOn: (category: string) => boolean,
): Promise<DnrRule[]> {
  const rules: DnrRule[] = [];
  for (const stored of lists) {
    const key = keyOf(stored.url);
    if (!key || !categoryOn(stored.category)) continue;
    const bundle = await loadBundle(stored.bytes, { trustedKeys: keysFor(key) }).catch(
      () => undefined,
    );
    if (!bundle?.plaintext) continue;
    const listRules = dnrRules(readableList(bundle), {
      browser: TARGET_BROWSER,
      firstId: LIST_RULE_FIRST_ID + rules.length,
      blockPagePath: blockPagePath(bundle.meta.category),
    });
    // One push per rule: spreading a list-sized array into push() overflows the stack.
    for (const rule of listRules) rules.push(rule);
  }
  return rules;
}

export async function installDynamicRules(rules: DnrRule[]): Promise<void> {
  const old = await browser.declarativeNetRequest.getDynamicRules();
  await browser.declarativeNetRequest.updateDynamicRules({
    removeRuleIds: old.map((r) => r.id),
    addRules: rules as DeclarativeNetRequest.Rule[],
  });
}
