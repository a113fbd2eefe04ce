/** The pages' one ReportSealing (over `storage.local` and the settings) and the hand-over to the worker. */
import browser from 'webextension-polyfill';
import { readReportDestination } from '../background/settings.js';
import { ReportSealing } from './report-sealing.js';
import { ask } from './worker.js';

export const sealing = new ReportSealing({
  area: browser.storage.local,
  settings: readReportDestination,
});

/**
 * A report was queued or drafts were sealed: the worker delivers now. The message is on its way
 * when this returns, so the page may close; the delivery itself is the worker's.
 */
export function deliverNow(): void {
  void ask({ type: 'deliver-reports' }).catch(() => undefined);
}

/** Drafts kept while no destination was set are sealed by whichever page finds one set. */
export async function sealWaitingDrafts(): Promise<void> {
  if ((await sealing.sealDrafts()) > 0) deliverNow();
}
