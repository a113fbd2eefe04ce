/** Tells the parent when the extension may not run in incognito/private windows, and how to allow it. */
import browser from 'webextension-polyfill';
import { t } from './i18n.js';

export async function showIncognitoWarning(el: HTMLElement): Promise<void> {
  if (await browser.extension.isAllowedIncognitoAccess()) return;
  const firefox = browser.runtime.getURL('').startsWith('moz-extension:');
  el.textContent = t(firefox ? 'incognitoOffFirefox' : 'incognitoOffChrome');
  el.hidden = false;
}
