/** The worker's one ExtensionReports, over `storage.local`, the settings and `alarms`. */
import { browser } from './api.js';
import { ExtensionReports } from './reports.js';
import { readSettings } from './settings.js';

export const reports = new ExtensionReports({
  area: browser.storage.local,
  settings: readSettings,
  alarms: browser.alarms,
});
