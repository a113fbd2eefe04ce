/**
 * Opened reports, in memory only: each sealed report is opened once (an HPKE open costs a few
 * milliseconds) and the plaintext never goes back to disk.
 */

import type { Report } from '../../reporting/schema.js';
import { openReport } from '../../reporting/seal.js';
import type { IntakeStore, StoredReport } from './store.js';

export interface TriageItem extends StoredReport {
  report: Report;
}

export class OpenedReports {
  private readonly cache = new Map<string, Report>();

  constructor(
    private readonly store: IntakeStore,
    private readonly secretKey: Uint8Array,
  ) {}

  /** Caches a report the server has just opened on arrival. */
  remember(report: Report): void {
    this.cache.set(report.id, report);
  }

  /** Every stored report with its opened form; ones that no longer open are reported, not hidden. */
  async all(): Promise<{ items: TriageItem[]; unreadable: string[] }> {
    const items: TriageItem[] = [];
    const unreadable: string[] = [];
    for (const stored of this.store.reports()) {
      let report = this.cache.get(stored.sealed.id);
      if (!report) {
        try {
          report = await openReport(stored.sealed, this.secretKey);
          this.cache.set(report.id, report);
        } catch {
          unreadable.push(stored.sealed.id);
          continue;
        }
      }
      items.push({ ...stored, report });
    }
    return { items, unreadable };
  }
}
