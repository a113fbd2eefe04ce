/**
 * Opens the install gate (extension/rules/install-gate.ts) once the hashed lists are loaded,
 * then deals with every open tab: a tab showing a hashed-list page goes to the block page
 * (navigation-guard's sweep); a tab whose load the gate stopped is reloaded.
 */
import { INSTALL_GATE_RULESET } from '../rules/install-gate.js';
import { browser } from './api.js';

/** Turns the gate off; true when it was on. */
export async function openInstallGate(): Promise<boolean> {
  const enabled = await browser.declarativeNetRequest.getEnabledRulesets();
  if (!enabled.includes(INSTALL_GATE_RULESET)) return false;
  await browser.declarativeNetRequest.updateEnabledRulesets({
    disableRulesetIds: [INSTALL_GATE_RULESET],
  });
  return true;
}

/** Reloads http(s) tabs whose last main-frame load failed (the gate stopped it). */
export async function reloadGatedTabs(skip: (url: string) => boolean): Promise<void> {
  const tabs = await browser.tabs.query({ url: ['http://*/*', 'https://*/*'] });
  await Promise.all(
    tabs.map(async (tab) => {
      if (tab.id === undefined || !tab.url || skip(tab.url)) return;
      const frames = await browser.webNavigation.getAllFrames({ tabId: tab.id });
      if (frames?.find((f) => f.frameId === 0)?.errorOccurred) await browser.tabs.reload(tab.id);
    }),
  );
}
