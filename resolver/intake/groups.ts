/** Triage groups: reports by host, then by URL, with counts, first/last seen and states. */
import type { Category } from '../../reporting/schema.js';
import type { CsamClassification } from '../../reporting/xarf.js';
import type { TriageItem } from './opened.js';
import type { TriageState } from './store.js';

export interface UrlGroup {
  url: string;
  ids: string[];
  count: number;
  firstSeen: string;
  lastSeen: string;
  categories: Category[];
  notes: string[];
  /** The common state, or `mixed` when reports of this URL differ (e.g. a new one came in). */
  status: TriageState | 'mixed';
  classification?: CsamClassification;
}

export interface HostGroup {
  host: string;
  count: number;
  firstSeen: string;
  lastSeen: string;
  urls: UrlGroup[];
}

export function groupReports(items: readonly TriageItem[]): HostGroup[] {
  const hosts = new Map<string, Map<string, TriageItem[]>>();
  for (const item of items) {
    const host = new URL(item.report.url).hostname;
    const urls = hosts.get(host) ?? new Map<string, TriageItem[]>();
    urls.set(item.report.url, [...(urls.get(item.report.url) ?? []), item]);
    hosts.set(host, urls);
  }
  const groups = [...hosts].map(([host, urls]) => {
    const urlGroups = [...urls].map(([url, list]) => urlGroup(url, list));
    return {
      host,
      count: urlGroups.reduce((n, g) => n + g.count, 0),
      firstSeen: min(urlGroups.map((g) => g.firstSeen)),
      lastSeen: max(urlGroups.map((g) => g.lastSeen)),
      urls: urlGroups.sort((a, b) => b.lastSeen.localeCompare(a.lastSeen)),
    };
  });
  // Most-reported first, then most recent.
  return groups.sort((a, b) => b.count - a.count || b.lastSeen.localeCompare(a.lastSeen));
}

function urlGroup(url: string, list: TriageItem[]): UrlGroup {
  const seen = list.map((i) => i.report.seenAt);
  const states = new Set(list.map((i) => i.status));
  const classification = list.find((i) => i.classification)?.classification;
  return {
    url,
    ids: list.map((i) => i.report.id),
    count: list.length,
    firstSeen: min(seen),
    lastSeen: max(seen),
    categories: [...new Set(list.map((i) => i.report.category))],
    notes: list.flatMap((i) => (i.report.note ? [i.report.note] : [])),
    status: states.size === 1 ? (list[0]?.status ?? 'new') : 'mixed',
    ...(classification ? { classification } : {}),
  };
}

// ISO times compare as strings.
const min = (values: string[]) => values.toSorted()[0] ?? '';
const max = (values: string[]) => values.toSorted().at(-1) ?? '';
