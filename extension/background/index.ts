/**
 * The service worker. Listeners are registered first and synchronously (a worker woken by an
 * event only gets the events it has listeners for when its script finishes); the lists start
 * loading at once; everything else is in the modules named below.
 */
import { browser, type Runtime } from './api.js';
import { handle, type Request } from './messages.js';
import { registerNavigationGuard, sweepOpenTabs } from './navigation-guard.js';
import { applySettings } from './protection.js';
import { readSettings } from './settings.js';
import { expireUnlocks, UNLOCK_ALARM } from './unlock.js';
import { runUpdates } from './update-run.js';
import { scheduleUpdates, UPDATE_ALARM } from './updates.js';

// Firefox (no service worker in MV3) keeps blocking webRequest: check before the request leaves.
const isFirefox = browser.runtime.getURL('').startsWith('moz-extension:');
registerNavigationGuard(isFirefox);

const started = applySettings(readSettings());
void started.then(sweepOpenTabs);

browser.runtime.onMessage.addListener((message: unknown, sender: Runtime.MessageSender) =>
  handle(message as Request, sender, runUpdates),
);

browser.alarms.onAlarm.addListener((alarm) => {
  if (alarm.name === UPDATE_ALARM) void runUpdates();
  if (alarm.name === UNLOCK_ALARM) void expireUnlocks();
});

browser.runtime.onInstalled.addListener(async ({ reason }) => {
  await scheduleUpdates();
  if (reason === 'install')
    await browser.tabs.create({ url: browser.runtime.getURL('pages/onboarding.html') });
});

browser.runtime.onStartup.addListener(() => {
  void scheduleUpdates();
  void expireUnlocks();
});
