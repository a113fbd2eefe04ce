/**
 * The service worker. Listeners are registered first and synchronously (a worker woken by an
 * event only gets the events it has listeners for when its script finishes); the hashed lists
 * start loading at once (from the IndexedDB copy on a wake); the rest is in the modules below.
 */
import { browser, type Runtime } from './api.js';
import { hashedLists, startHashedLists } from './hashed-lists.js';
import { openInstallGate, reloadGatedTabs } from './install-gate.js';
import { keepAlive } from './keepalive.js';
import { handle, type Request } from './messages.js';
import { checkNavigation } from './navigation-check.js';
import {
  registerNavigationGuard,
  releaseHeldNavigations,
  sendOn,
  sweepOpenTabs,
} from './navigation-guard.js';
import { openOnboarding, showPinState } from './onboarding.js';
import { applySettings } from './protection.js';
import { reports } from './report-service.js';
import { REPORT_ALARM } from './reports.js';
import { readSettings } from './settings.js';
import {
  admitOpenTabs,
  admitTabs,
  forgetGatedTab,
  incognitoGateWanted,
  removeTabGate,
  sendOnIfGated,
} from './tab-gate.js';
import { TARGET_BROWSER } from './target.js';
import { expireUnlocks, UNLOCK_ALARM } from './unlock.js';
import { runUpdates } from './update-run.js';
import { scheduleUpdates, UPDATE_ALARM } from './updates.js';

// Firefox, and Chrome on a policy install, check before the request leaves (navigation-guard.ts).
registerNavigationGuard(TARGET_BROWSER);
// Firefox's background script is an event page the same way; the same timer keeps it up.
keepAlive();

browser.runtime.onMessage.addListener((message: unknown, sender: Runtime.MessageSender) =>
  handle(message as Request, sender, runUpdates),
);

browser.alarms.onAlarm.addListener((alarm) => {
  if (alarm.name === UPDATE_ALARM) void runUpdates();
  if (alarm.name === UNLOCK_ALARM) void expireUnlocks();
  if (alarm.name === REPORT_ALARM) void reports.pump();
});

browser.runtime.onInstalled.addListener(async ({ reason }) => {
  await applySettings(readSettings());
  await scheduleUpdates();
  if (reason === 'install') await openOnboarding();
  await showPinState();
});

browser.runtime.onStartup.addListener(() => {
  void applySettings(readSettings());
  void scheduleUpdates();
  void expireUnlocks();
  void showPinState();
});

// A school's policy change is put in force when it happens, not at the next timer.
browser.storage.onChanged.addListener((_changes, area) => {
  if (area !== 'managed') return;
  void applySettings(readSettings());
  void showPinState();
});

// The incognito gate (tab-gate.ts): the regular instance takes its tabs on at once, the
// incognito instance once its lists are loaded (afterListsLoaded). Without incognito access
// the gate stays off and no tab is ever held by it (Chrome reloads the extension when that
// access changes, so it is read once per start).
const incognito = browser.extension.inIncognitoContext;
const gateWanted = TARGET_BROWSER === 'chrome' ? incognitoGateWanted() : Promise.resolve(false);
const whenGated = (act: () => Promise<unknown>) =>
  void gateWanted.then((wanted) => (wanted ? act() : undefined)).catch(() => undefined);
if (TARGET_BROWSER === 'chrome') {
  browser.tabs.onCreated.addListener((tab) => {
    if (tab.id === undefined) return;
    const id = tab.id;
    whenGated(async () => {
      if (incognito) await hashedLists();
      await admitTabs([id], sendOn);
    });
  });
  browser.tabs.onRemoved.addListener((tabId) => whenGated(() => forgetGatedTab(tabId)));
  browser.webNavigation.onErrorOccurred.addListener((d) =>
    whenGated(() => sendOnIfGated(d, sendOn)),
  );
  if (!incognito)
    void gateWanted.then((wanted) => (wanted ? admitOpenTabs(sendOn) : removeTabGate()));
}

// Reports queued before the worker stopped are delivered (or their alarm re-armed) on every start.
void reports.pump();

startHashedLists(readSettings).then(afterListsLoaded, afterListsLoaded);

/** Once the matcher answers: open tabs are checked, and the install gate (if on) opens. */
async function afterListsLoaded(): Promise<void> {
  await releaseHeldNavigations().catch(() => undefined);
  // A fresh incognito instance's first pages were stopped by the incognito gate.
  const gated = TARGET_BROWSER === 'chrome' && incognito;
  if (gated) await admitOpenTabs(sendOn).catch(() => undefined);
  await sweepOpenTabs().catch(() => undefined);
  if ((await openInstallGate()) || gated) {
    const { matcher } = await hashedLists().catch(() => ({ matcher: undefined }));
    await reloadGatedTabs((url) => matcher !== undefined && checkNavigation(matcher, url).blocked);
  }
}
