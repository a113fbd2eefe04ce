/** The worker's one ReportDelivery, over `storage.local`, the settings and `alarms`. */
import { browser } from './api.js';
import { ReportDelivery } from './reports.js';
import { readReportDestination } from './settings.js';

export const reports = new ReportDelivery({
  area: browser.storage.local,
  settings: readReportDestination,
  alarms: browser.alarms,
});
