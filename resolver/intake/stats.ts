/**
 * Statistics for the unit and the ministry (UN report para 105): report counts by month,
 * category, the analyst's CSAM classification, source, hosting country and workflow state, and the time confirmed URLs took to be
 * removed (median, 90th percentile). Aggregates only: no URL, note or id leaves this module.
 */
import { triageCategoryOf } from '../../reporting/categories.js';
import type { Report } from '../../reporting/schema.js';
import type { StatsRow } from './case-store.js';

export const STATS_KEYS = [
  'month',
  'category',
  'classification',
  'source',
  'country',
  'state',
] as const;
export type StatsKey = (typeof STATS_KEYS)[number];

export interface StatsResult {
  by: StatsKey[];
  rows: (Record<StatsKey, string> & { count: number })[];
  timeToRemoval: { urls: number; medianMinutes?: number; p90Minutes?: number };
}

export function statistics(
  rows: readonly StatsRow[],
  open: (summary: string) => Report,
  by: readonly StatsKey[],
): StatsResult {
  const counts = new Map<string, { values: Record<string, string>; count: number }>();
  const removal = new Map<string, number>();
  for (const row of rows) {
    const report = open(row.summary);
    const facts: Record<StatsKey, string> = {
      month: row.receivedAt.slice(0, 7),
      category: triageCategoryOf(report),
      classification: row.classification ?? 'none',
      source: report.source,
      country: row.country ?? 'unknown',
      state: row.state,
    };
    const values = Object.fromEntries(by.map((key) => [key, facts[key]]));
    const key = JSON.stringify(values);
    const entry = counts.get(key) ?? { values, count: 0 };
    entry.count++;
    counts.set(key, entry);
    if (row.removedAt && row.firstReceived) {
      removal.set(row.urlTag, (Date.parse(row.removedAt) - Date.parse(row.firstReceived)) / 60_000);
    }
  }
  const sorted = [...counts.values()].sort(
    (a, b) =>
      by.map((k) => (a.values[k] ?? '').localeCompare(b.values[k] ?? '')).find((c) => c !== 0) ?? 0,
  );
  const minutes = [...removal.values()].sort((a, b) => a - b);
  const at = (p: number) =>
    minutes[Math.min(minutes.length - 1, Math.ceil(minutes.length * p) - 1)];
  return {
    by: [...by],
    rows: sorted.map((e) => ({ ...(e.values as Record<StatsKey, string>), count: e.count })),
    timeToRemoval: {
      urls: minutes.length,
      ...(minutes.length > 0
        ? { medianMinutes: Math.round(at(0.5) ?? 0), p90Minutes: Math.round(at(0.9) ?? 0) }
        : {}),
    },
  };
}

/** A header line, then one line per group: the `--by` values in order, then the count. */
export function statsCsv(result: StatsResult): string {
  const lines = [[...result.by, 'count'].join(',')];
  for (const row of result.rows) lines.push([...result.by.map((k) => row[k]), row.count].join(','));
  return `${lines.join('\n')}\n`;
}
