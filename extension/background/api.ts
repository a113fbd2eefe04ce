/** The one place the `browser.*` API comes from (webextension-polyfill on Chrome). */
import browser from 'webextension-polyfill';

export type { DeclarativeNetRequest, Runtime, Tabs, WebRequest } from 'webextension-polyfill';
export { browser };
