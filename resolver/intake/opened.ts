/**
 * Opened reports, in memory only, in a bounded cache: a report is opened from the index's sealed
 * copy (report-index.ts) when a page or an export needs it. Reports stored before the index
 * existed are opened once with the unit's HPKE key and indexed; the plaintext never goes to disk.
 */
import type { Report } from '../../reporting/schema.js';
import { openReport } from '../../reporting/seal.js';
import { ReportIndex } from './report-index.js';
import type { IntakeStore, StoredReport } from './store.js';

export interface TriageItem extends StoredReport {
  report: Report;
}

/** Enough for several full triage pages; beyond it the least recently used report is dropped. */
export const OPENED_CACHE_SIZE = 5_000;

export class OpenedReports {
  readonly index: ReportIndex;
  private readonly cache = new Map<string, Report>();
  private unreadableIds: string[] = [];

  constructor(
    private readonly store: IntakeStore,
    private readonly secretKey: Uint8Array,
    private readonly cacheSize = OPENED_CACHE_SIZE,
  ) {
    this.index = new ReportIndex(secretKey);
  }

  /** Caches a report the server has just opened on arrival. */
  remember(report: Report): void {
    this.cache.delete(report.id);
    this.cache.set(report.id, report);
    if (this.cache.size > this.cacheSize) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
  }

  cached(): number {
    return this.cache.size;
  }

  /** The report a summary seals, from the cache when it is there. */
  open(id: string, summary: string): Report {
    const known = this.cache.get(id);
    if (known) {
      this.remember(known);
      return known;
    }
    const report = this.index.openReport(summary);
    this.remember(report);
    return report;
  }

  /** Indexes rows stored before the index; ones that do not open are listed, not hidden. */
  async indexOldRows(): Promise<string[]> {
    const unreadable: string[] = [];
    for (const stored of this.store.unindexed()) {
      try {
        const report = await openReport(stored.sealed, this.secretKey);
        this.store.setIndex(
          stored.sealed.id,
          stored.status,
          stored.receivedAt,
          this.index.entry(report, stored.receivedAt),
        );
      } catch {
        unreadable.push(stored.sealed.id);
      }
    }
    this.unreadableIds = unreadable;
    return unreadable;
  }

  /** Ids of stored reports that do not open with this key (after indexOldRows). */
  unreadable(): string[] {
    return this.unreadableIds;
  }

  /** Every stored report with its opened form (for exports and statistics). */
  async all(): Promise<{ items: TriageItem[]; unreadable: string[] }> {
    const unreadable = await this.indexOldRows();
    const items: TriageItem[] = [];
    for (const stored of this.store.reports()) {
      if (stored.summary === undefined) continue;
      // Not cached: an export of every report must not evict the pages analysts are looking at.
      const report = this.cache.get(stored.sealed.id) ?? this.index.openReport(stored.summary);
      items.push({ ...stored, report });
    }
    return { items, unreadable };
  }
}
