/**
 * The local status page: lists in force, counts, upstream health. Server-rendered HTML with no
 * scripts, built from sections; the report form (issue 5, report-form.ts) is the last one.
 */
import type { SourceState } from '../lists/manager.js';
import type { RpzCounters } from '../rpz/handler.js';
import { escapeHtml } from './html.js';
import { type Language, languageSwitch, type Translate } from './language.js';
import { type Problems, problemText } from './problems.js';
import { listRefusalText } from './reasons.js';
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
  problems: Problems;
  /** The `rpz:` zones this process serves (issue 6). */
  rpz?: { zone: string; listen: string; serial: number; counters: RpzCounters }[];
  /** The report form's section (issue 5), rendered by ReportForm. */
  reports?: string | undefined;
}

function table(id: string, headers: string[], rows: unknown[][]): string {
  const head = headers.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const body = rows
    .map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`)
    .join('');
  return `<table id="${id}"><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

function listsSection(v: StatusView, t: Translate): string {
  return `<section><h2>${escapeHtml(t('status.lists'))}</h2>${table(
    'lists',
    [
      t('status.list'),
      t('status.category'),
      t('status.sequence'),
      t('status.entries'),
      t('status.from'),
      t('status.expires'),
      t('status.problem'),
    ],
    v.lists.map((l) => [
      l.id ?? l.location,
      l.category ?? '',
      l.sequence ?? '',
      l.entries,
      l.origin === 'last-good'
        ? t('status.lastGood')
        : l.origin
          ? t('status.source')
          : t('status.notLoaded'),
      expiry(l.expires, l.expiresInDays, t),
      l.error === undefined ? '' : listRefusalText({ code: l.errorCode, message: l.error }, t),
    ]),
  )}</section>`;
}

function expiry(expires: string | undefined, days: number | undefined, t: Translate): string {
  if (!expires || days === undefined) return '';
  if (days < 0) return t('status.expired', { date: expires });
  return t('status.expiresIn', { date: expires, days });
}

/** Not ready or degraded: said first, in words an operator acts on. */
function problemsSection(v: StatusView, t: Translate): string {
  const { notReady, warnings } = v.problems;
  if (notReady.length + warnings.length === 0) return '';
  const items = [
    ...notReady.map(
      (p) =>
        `<li><strong>${escapeHtml(t('status.notReady'))}</strong> ${escapeHtml(problemText(p, t))}</li>`,
    ),
    ...warnings.map(
      (p) =>
        `<li><strong>${escapeHtml(t('status.warning'))}</strong> ${escapeHtml(problemText(p, t))}</li>`,
    ),
  ];
  return `<section id="problems" role="alert"><h2>${escapeHtml(t('status.attention'))}</h2><ul>${items.join('')}</ul></section>`;
}

function countsSection(v: StatusView, t: Translate): string {
  const s = v.stats;
  const hitRatio = s.cacheHits + s.cacheMisses ? s.cacheHits / (s.cacheHits + s.cacheMisses) : 0;
  const totals = table(
    'counts',
    [t('status.sinceStart'), t('status.count')],
    [
      [t('status.queries'), s.queries],
      ...[...s.blocked].map(([c, n]) => [t('status.blockedCategory', { category: c }), n]),
      [t('status.cacheHits'), `${s.cacheHits} (${(hitRatio * 100).toFixed(1)}%)`],
      [t('status.rateLimited'), s.rateLimited],
      [t('status.refused'), s.refused],
      [t('status.servfail'), s.servfail],
    ],
  );
  const categories = [
    ...new Set([...s.dailyCounts().values()].flatMap((m) => [...m.keys()])),
  ].filter((c) => c !== 'queries');
  const days = table(
    'daily',
    [
      t('status.day'),
      t('status.queries'),
      ...categories.map((c) => t('status.blockedColumn', { category: c })),
    ],
    [...s.dailyCounts()]
      .sort(([a], [b]) => b.localeCompare(a))
      .map(([day, m]) => [day, m.get('queries') ?? 0, ...categories.map((c) => m.get(c) ?? 0)]),
  );
  return `<section><h2>${escapeHtml(t('status.counts'))}</h2>${totals}<h3>${escapeHtml(t('status.perDay'))}</h3><p>${escapeHtml(t('status.perDayPrivacy'))}</p>${days}</section>`;
}

function upstreamsSection(v: StatusView, t: Translate): string {
  return `<section><h2>${escapeHtml(t('status.upstreams'))}</h2>${table(
    'upstreams',
    [
      t('status.upstream'),
      t('status.state'),
      t('status.answered'),
      t('status.failed'),
      t('status.lastRtt'),
      t('status.lastError'),
    ],
    v.upstreams.map((u) => [
      u.label,
      u.down
        ? t('status.down')
        : u.consecutiveFailures === 0
          ? u.answered
            ? t('status.up')
            : t('status.notAsked')
          : t('status.failing', { count: u.consecutiveFailures }),
      u.answered,
      u.failed,
      u.lastRttMs === undefined ? '' : `${u.lastRttMs.toFixed(1)} ms`,
      u.lastError ?? '',
    ]),
  )}</section>`;
}

function rpzSection(v: StatusView, t: Translate): string {
  if (!v.rpz?.length) return '';
  return `<section><h2>${escapeHtml(t('status.rpz'))}</h2>${table(
    'rpz',
    [
      t('status.zone'),
      t('status.listeningOn'),
      t('status.serial'),
      'AXFR',
      'IXFR',
      t('status.refusedTransfers'),
      t('status.notify'),
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

export function renderStatusPage(v: StatusView, w: { lang: Language; t: Translate }): string {
  const { t } = w;
  const sections = [
    problemsSection(v, t),
    listsSection(v, t),
    countsSection(v, t),
    upstreamsSection(v, t),
    rpzSection(v, t),
    v.reports ?? '',
  ];
  return `<!doctype html>
<html lang="${w.lang}"><head><meta charset="utf-8"><title>${escapeHtml(t('status.title'))}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:60rem}table{border-collapse:collapse;margin:.5rem 0 1rem}td,th{border:1px solid #ccc;padding:.25rem .6rem;text-align:left}</style>
</head><body>
${languageSwitch(w.lang, escapeHtml)}
<h1>${escapeHtml(t('status.title'))}</h1>
<p>${escapeHtml(t('status.intro', { listen: v.listen.join(', '), since: v.startedAt.toISOString(), cached: v.cacheEntries }))}</p>
<p><a href="/setup">${escapeHtml(t('status.setup'))}</a> · <a href="/console">${escapeHtml(t('status.console'))}</a></p>
${sections.join('\n')}
</body></html>`;
}
