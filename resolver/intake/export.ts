/**
 * Exports for the unit's case systems: XARF v4 as JSON Lines (one report per line, as XARF wants
 * one incident per report) or CSV. Rejected and duplicate reports are left out.
 */
import { TRIAGE_CATEGORY_DEFINITIONS, triageCategoryOf } from '../../reporting/categories.js';
import type { Report } from '../../reporting/schema.js';
import { toXarf, type XarfParty } from '../../reporting/xarf.js';
import type { TriageItem } from './opened.js';

export type ExportFormat = 'xarf' | 'csv';

export function exportable(items: readonly TriageItem[]): TriageItem[] {
  return items.filter((i) => i.status === 'new' || i.status === 'confirmed');
}

export function xarfLines(items: readonly TriageItem[], unit: XarfParty): string {
  return exportable(items)
    .map(
      (i) =>
        `${JSON.stringify(toXarf(i.report, { unit, ...(i.classification ? { classification: i.classification } : {}) }))}\n`,
    )
    .join('');
}

const CSV_COLUMNS = [
  'id',
  'received_at',
  'seen_at',
  'created_at',
  'url',
  'host',
  'category',
  'where_found',
  'source',
  'status',
  'classification',
  'note',
  'contact',
  'category_meaning',
] as const;

export function csv(items: readonly TriageItem[]): string {
  const rows = exportable(items).map((i) => row(i, i.report));
  return `${CSV_COLUMNS.join(',')}\r\n${rows.map((r) => `${r.map(csvField).join(',')}\r\n`).join('')}`;
}

function row(item: TriageItem, report: Report): string[] {
  return [
    report.id,
    item.receivedAt,
    report.seenAt,
    report.createdAt,
    report.url,
    new URL(report.url).hostname,
    triageCategoryOf(report),
    report.whereFound,
    report.source,
    item.status,
    item.classification ?? '',
    report.note ?? '',
    report.contact ?? '',
    TRIAGE_CATEGORY_DEFINITIONS[triageCategoryOf(report)].meaning,
  ];
}

/** RFC 4180 quoting, and a leading quote mark on text a spreadsheet would run as a formula. */
export function csvField(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
