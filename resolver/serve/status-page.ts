/**
 * The local status page: lists in force, counts, upstream health. Server-rendered HTML with no
 * scripts, built from sections; the report form (issue 5, report-form.ts) is the last one.
 */
import type { SourceState } from '../lists/manager.js';
import type { RpzCounters } from '../rpz/handler.js';
import type { Stats } from './stats.js';
import type { UpstreamHealth } from './upstream.js';

export interface StatusView {
  startedAt: Date;
  stats: Stats;
  lists: ReturnType<import('../lists/manager.js').ListManager['summary']>;
  sources: readonly SourceState[];
  upstreams: readonly UpstreamHealth[];
  listen: readonly string[];
  cacheEntries: number;
  /** Why the filter is not ready (no list) or degraded (expired list, upstream down). */
  problems: { notReady: string[]; warnings: string[] };
  /** The `rpz:` zones this process serves (issue 6). */
  rpz?: { zone: string; listen: string; serial: number; counters: RpzCounters }[];
  /** The report form's section (issue 5), rendered by ReportForm. */
  reports?: string | undefined;
}

const escapeHtml = (s: unknown) =>
  String(s ?? '').replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );

function table(id: string, headers: string[], rows: unknown[][]): string {
  const head = headers.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const body = rows
    .map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`)
    .join('');
  return `<table id="${id}"><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

function listsSection(v: StatusView): string {
  return `<section><h2>Lists</h2>${table(
    'lists',
    ['List', 'Category', 'Sequence', 'Entries', 'From', 'Expires', 'Problem'],
    v.lists.map((l) => [
      l.id ?? l.location,
      l.category ?? '',
      l.sequence ?? '',
      l.entries,
      l.origin === 'last-good' ? 'last good copy' : l.origin ? 'source' : 'not loaded',
      expiry(l.expires, l.expiresInDays),
      l.error ?? '',
    ]),
  )}</section>`;
}

function expiry(expires: string | undefined, days: number | undefined): string {
  if (!expires || days === undefined) return '';
  if (days < 0) return `EXPIRED ${expires} (still in force)`;
  return `${expires} (expires in ${days} day${days === 1 ? '' : 's'})`;
}

/** Not ready or degraded: said first, in words an operator acts on. */
function problemsSection(v: StatusView): string {
  const { notReady, warnings } = v.problems;
  if (notReady.length + warnings.length === 0) return '';
  const items = [
    ...notReady.map((l) => `<li><strong>Not ready:</strong> ${escapeHtml(l)}</li>`),
    ...warnings.map((l) => `<li><strong>Warning:</strong> ${escapeHtml(l)}</li>`),
  ];
  return `<section id="problems" role="alert"><h2>Needs attention</h2><ul>${items.join('')}</ul></section>`;
}

function countsSection(v: StatusView): string {
  const s = v.stats;
  const hitRatio = s.cacheHits + s.cacheMisses ? s.cacheHits / (s.cacheHits + s.cacheMisses) : 0;
  const totals = table(
    'counts',
    ['Since start', 'Count'],
    [
      ['Queries', s.queries],
      ...[...s.blocked].map(([c, n]) => [`Blocked (${c})`, n]),
      ['Cache hits', `${s.cacheHits} (${(hitRatio * 100).toFixed(1)}%)`],
      ['Rate-limited', s.rateLimited],
      ['Refused (not allowed)', s.refused],
      ['SERVFAIL', s.servfail],
    ],
  );
  const categories = [
    ...new Set([...s.dailyCounts().values()].flatMap((m) => [...m.keys()])),
  ].filter((c) => c !== 'queries');
  const days = table(
    'daily',
    ['Day', 'Queries', ...categories.map((c) => `Blocked ${c}`)],
    [...s.dailyCounts()]
      .sort(([a], [b]) => b.localeCompare(a))
      .map(([day, m]) => [day, m.get('queries') ?? 0, ...categories.map((c) => m.get(c) ?? 0)]),
  );
  return `<section><h2>Counts</h2>${totals}<h3>Per day</h3><p>Only totals per category and day are kept; no client addresses, no names.</p>${days}</section>`;
}

function upstreamsSection(v: StatusView): string {
  return `<section><h2>Upstreams</h2>${table(
    'upstreams',
    ['Upstream', 'State', 'Answered', 'Failed', 'Last RTT', 'Last error'],
    v.upstreams.map((u) => [
      u.label,
      u.down
        ? 'DOWN (retrying)'
        : u.consecutiveFailures === 0
          ? u.answered
            ? 'up'
            : 'not asked yet'
          : `failing (${u.consecutiveFailures})`,
      u.answered,
      u.failed,
      u.lastRttMs === undefined ? '' : `${u.lastRttMs.toFixed(1)} ms`,
      u.lastError ?? '',
    ]),
  )}</section>`;
}

function rpzSection(v: StatusView): string {
  if (!v.rpz?.length) return '';
  return `<section><h2>RPZ zones</h2>${table(
    'rpz',
    [
      'Zone',
      'Listening on',
      'Serial',
      'AXFR',
      'IXFR',
      'Refused',
      'NOTIFY sent / answered / failed',
    ],
    v.rpz.map(({ zone, listen, serial, counters: c }) => [
      zone,
      listen,
      serial,
      c.axfr + c.ixfrAsAxfr,
      c.ixfr,
      c.refused,
      `${c.notifySent} / ${c.notifyAcked} / ${c.notifyFailed}`,
    ]),
  )}</section>`;
}

export function renderStatusPage(v: StatusView): string {
  const sections = [
    problemsSection(v),
    listsSection(v),
    countsSection(v),
    upstreamsSection(v),
    rpzSection(v),
    v.reports ?? '',
  ];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Kalkan resolver</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:60rem}table{border-collapse:collapse;margin:.5rem 0 1rem}td,th{border:1px solid #ccc;padding:.25rem .6rem;text-align:left}</style>
</head><body>
<h1>Kalkan resolver</h1>
<p>Listening on ${escapeHtml(v.listen.join(', '))}; up since ${escapeHtml(v.startedAt.toISOString())}; ${v.cacheEntries} cached answers.</p>
${sections.join('\n')}
</body></html>`;
}
