/**
 * The first PIN belongs to whoever installed the extension: it is taken only from the
 * onboarding page in the tab the worker opened itself (at install, or from the popup's "Set the
 * PIN"), never from a page a child opened. Until a PIN is set the toolbar badge says so. Under
 * a policy that sets the PIN or locks the settings, there is no onboarding at all: in a school
 * the tab would open in the student's browser.
 */
import { browser, type Runtime } from './api.js';
import { readOwnPinRecord, readSettings } from './settings.js';

const TAB_KEY = 'onboardingTab';
export const ONBOARDING_PAGE = 'pages/onboarding.html';

/** Whether the browser's own PIN may be set here at all (no policy PIN, no lock). */
export async function ownPinAllowed(): Promise<boolean> {
  const settings = await readSettings(true);
  return !settings.pinByPolicy && !settings.locked;
}

/** Opens the onboarding page and remembers its tab; false when policy makes it pointless. */
export async function openOnboarding(): Promise<boolean> {
  if (!(await ownPinAllowed())) return false;
  const tab = await browser.tabs.create({ url: browser.runtime.getURL(ONBOARDING_PAGE) });
  if (tab.id !== undefined) await browser.storage.session.set({ [TAB_KEY]: tab.id });
  return true;
}

/** True when `sender` is the onboarding page in the tab this extension opened for it. */
export async function fromOwnOnboarding(sender: Runtime.MessageSender): Promise<boolean> {
  const tabId = (await browser.storage.session.get(TAB_KEY))[TAB_KEY];
  if (sender.tab?.id === undefined || sender.tab.id !== tabId || !sender.url) return false;
  return new URL(sender.url).pathname === `/${ONBOARDING_PAGE}`;
}

/** The badge: a loud "!" while no PIN is set and one could be (a parent's install). */
export async function showPinState(): Promise<void> {
  const missing = (await ownPinAllowed()) && !(await readOwnPinRecord());
  await browser.action.setBadgeText({ text: missing ? '!' : '' });
  if (missing) await browser.action.setBadgeBackgroundColor({ color: '#b00020' });
  await browser.action.setTitle({
    title: browser.i18n.getMessage(missing ? 'badgeNoPin' : 'extName'),
  });
}
