/**
 * Puts the settings into force: the static adult ruleset on or off, subscribed plaintext lists
 * as dynamic rules, the hashed-list matcher, and session hit rules pruned to what is still
 * listed. Called at start, after a settings change and after an update.
 */
import { browser } from './api.js';
import { hashedLists, reloadHashedLists } from './hashed-lists.js';
import { readLists } from './list-store.js';
import { installDynamicRules, plaintextRules } from './plaintext-rules.js';
import { pruneHitRules } from './session-rules.js';
import type { EffectiveSettings } from './settings.js';

export const ADULT_RULESET = 'adult';

export function categoryOn(settings: EffectiveSettings): (category: string) => boolean {
  return (category) => category !== 'adult' || settings.categories.adult;
}

export async function applySettings(settings: Promise<EffectiveSettings>): Promise<void> {
  const reloaded = reloadHashedLists(settings);
  const s = await settings;
  const enabled = await browser.declarativeNetRequest.getEnabledRulesets();
  const wantAdult = s.categories.adult;
  if (wantAdult !== enabled.includes(ADULT_RULESET)) {
    await browser.declarativeNetRequest.updateEnabledRulesets(
      wantAdult ? { enableRulesetIds: [ADULT_RULESET] } : { disableRulesetIds: [ADULT_RULESET] },
    );
  }
  const keys = new Map(s.subscriptions.map((sub) => [sub.url, sub.publicKey]));
  await installDynamicRules(
    await plaintextRules(await readLists(), (url) => keys.get(url), categoryOn(s)),
  );
  await reloaded;
  const { matcher } = await hashedLists();
  await pruneHitRules((host) => matcher.match(host).blocked);
}
