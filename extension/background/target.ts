/** The browser this worker runs in: Firefox's rules and events differ in a few places. */
import { browser } from './api.js';

export const TARGET_BROWSER = browser.runtime.getURL('').startsWith('moz-extension:')
  ? 'firefox'
  : 'chrome';
