/**
 * One triage page: URL groups most recently seen first (a date is never later than its report's
 * arrival), paged, optionally only one host or URL, gathered under their hosts. Only the rows
 * on the page are opened.
 */
import { type TriageCategory, triageCategoryOf } from '../../reporting/categories.js';
import type { CsamClassification } from '../../reporting/xarf.js';
import type { OpenedReports } from './opened.js';
import type { TriageState } from './states.js';
import type { IntakeStore } from './store.js';

export const PAGE_SIZE = 50;
/** Reports per URL opened for its categories and notes (the newest ones). */
const RECENT_PER_GROUP = 20;

export interface UrlGroup {
  urlTag: string;
  url: string;
  count: number;
  firstSeen: string;
  lastSeen: string;
  categories: TriageCategory[];
  notes: string[];
  /** The common state, or `mixed` when reports of this URL differ (e.g. a new one came in). */
  status: TriageState | 'mixed';
  classification?: CsamClassification;
  /** The newest report the page shows: a decision applies to this one and older ones only. */
  throughSeq: number;
}

export interface HostGroup {
  host: string;
  /** Reports of this host in all, not only on this page. */
  count: number;
  urls: UrlGroup[];
}

export interface TriageQuery {
  page: number;
  /** A host name or a URL (exact), or empty for everything. */
  search: string;
  onlyNew: boolean;
}

export interface TriagePageData {
  hosts: HostGroup[];
  groups: number;
  page: number;
  pages: number;
}

export function triagePageData(
  store: IntakeStore,
  opened: OpenedReports,
  query: TriageQuery,
): TriagePageData {
  const search = searchTags(opened, query.search);
  const { rows, total } = store.groups({
    ...search,
    onlyNew: query.onlyNew,
    limit: PAGE_SIZE,
    offset: (query.page - 1) * PAGE_SIZE,
  });
  const hostCounts = store.hostCounts(rows.map((r) => r.hostTag));
  const hosts = new Map<string, HostGroup>();
  for (const row of rows) {
    const label = opened.index.openLabel(row.label);
    const detail = store.groupReports(row.urlTag, RECENT_PER_GROUP);
    const reports = detail.recent.map((r) => opened.open(r.id, r.summary));
    const [first] = detail.states;
    const host = hosts.get(row.hostTag) ?? {
      host: label.host,
      count: hostCounts.get(row.hostTag) ?? row.reports,
      urls: [],
    };
    host.urls.push({
      urlTag: row.urlTag,
      url: label.url,
      count: row.reports,
      firstSeen: row.firstSeen,
      lastSeen: row.lastSeen,
      categories: [...new Set(reports.map(triageCategoryOf))],
      notes: reports.flatMap((r) => (r.note ? [r.note] : [])),
      status: detail.states.length === 1 && first ? first.status : 'mixed',
      ...(detail.states.length === 1 && first?.classification
        ? { classification: first.classification }
        : {}),
      throughSeq: detail.throughSeq,
    });
    hosts.set(row.hostTag, host);
  }
  return {
    hosts: [...hosts.values()],
    groups: total,
    page: query.page,
    pages: Math.max(1, Math.ceil(total / PAGE_SIZE)),
  };
}

/** A search is a host name or a URL; both are found by their keyed tags, never by plaintext. */
function searchTags(opened: OpenedReports, search: string): { urlTag?: string; hostTag?: string } {
  const text = search.trim();
  if (text === '') return {};
  if (/^https?:\/\//i.test(text)) {
    try {
      return { urlTag: opened.index.urlTag(new URL(text).href) };
    } catch {
      return { urlTag: '' };
    }
  }
  try {
    return { hostTag: opened.index.hostTag(new URL(`http://${text}/`).hostname) };
  } catch {
    return { hostTag: '' };
  }
}
