/**
 * Reports waiting to be sealed and delivered. The report form queues a draft here; the
 * reporting module (sealing to the unit's key, durable outbox, delivery) drains this queue.
 * A draft holds a URL and its context, never page content.
 */
import { browser } from './api.js';

export const REPORT_CATEGORIES = [
  'csam_suspected',
  'csem',
  'grooming',
  'trafficking',
  'other',
] as const;
export type ReportCategory = (typeof REPORT_CATEGORIES)[number];

export interface ReportDraft {
  url: string;
  category: ReportCategory;
  /** Where the reporter met the page: `popup` or `block-page`. */
  foundVia: 'popup' | 'block-page';
  note?: string;
  contact?: string;
}

export interface QueuedReport extends ReportDraft {
  id: string;
  source: 'extension';
  createdAt: string;
}

export const REPORT_QUEUE_KEY = 'reportQueue';
const MAX_NOTE = 500;

export function validateDraft(draft: ReportDraft): string | undefined {
  let url: URL;
  try {
    url = new URL(draft.url);
  } catch {
    return 'url';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'url';
  if (!REPORT_CATEGORIES.includes(draft.category)) return 'category';
  if ((draft.note?.length ?? 0) > MAX_NOTE) return 'note';
  return undefined;
}

export async function queueReport(draft: ReportDraft): Promise<QueuedReport> {
  const problem = validateDraft(draft);
  if (problem) throw new Error(`report draft has a bad ${problem}`);
  const report: QueuedReport = {
    id: crypto.randomUUID(),
    source: 'extension',
    createdAt: new Date().toISOString(),
    url: draft.url,
    category: draft.category,
    foundVia: draft.foundVia,
    ...(draft.note ? { note: draft.note } : {}),
    ...(draft.contact ? { contact: draft.contact } : {}),
  };
  const queue = ((await browser.storage.local.get(REPORT_QUEUE_KEY))[REPORT_QUEUE_KEY] ??
    []) as QueuedReport[];
  await browser.storage.local.set({ [REPORT_QUEUE_KEY]: [...queue, report] });
  return report;
}
