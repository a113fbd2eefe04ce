/**
 * "What happened": the daily counts as charts, the lists with age, expiry and last refused
 * update, the upstreams' health; every time in the café's zone. Aggregate only: the counts
 * per day and category are all the resolver keeps (no client, no name).
 */
import type { Translate } from '../serve/language.js';
import { listRefusalText } from '../serve/reasons.js';
import { barChart } from './charts.js';
import { escapeHtml } from './html.js';

/** An upstream's state, worded by the catalogue. */
export type UpstreamState =
  | { kind: 'down' }
  | { kind: 'failing'; count: number }
  | { kind: 'up' }
  | { kind: 'notAsked' };

export function upstreamStateText(state: UpstreamState, t: Translate): string {
  if (state.kind === 'down') return t('status.down');
  if (state.kind === 'failing') return t('status.failing', { count: state.count });
  return t(state.kind === 'up' ? 'status.up' : 'status.notAsked');
}

export interface ActivityView {
  timeZone: string;
  /** Oldest first: day → "queries" and blocked count per category. */
  days: readonly { day: string; counts: ReadonlyMap<string, number> }[];
  lists: readonly {
    id: string;
    category: string;
    entries: number;
    created: Date | undefined;
    loadedAt: Date | undefined;
    expires: Date | undefined;
    lastRefusal: { code: string | undefined; message: string } | undefined;
  }[];
  upstreams: readonly {
    label: string;
    state: UpstreamState;
    lastRttMs: number | undefined;
    lastError: string | undefined;
  }[];
  now: Date;
}

/** `2026-11-30 18:05` in `timeZone`. */
export function timeIn(at: Date | undefined, timeZone: string): string {
  if (!at) return '';
  return new Intl.DateTimeFormat('sv-SE', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
  }).format(at);
}

const DAY_MS = 86_400_000;

export function activitySection(v: ActivityView, t: Translate): string {
  const e = (key: Parameters<Translate>[0], values?: Parameters<Translate>[1]) =>
    escapeHtml(t(key, values));
  const days = v.days.map((d) => d.day);
  const categories = [...new Set(v.days.flatMap((d) => [...d.counts.keys()]))]
    .filter((c) => c !== 'queries')
    .sort();
  const queries = barChart('chart-queries', t('activity.queriesChart'), days, [
    { name: t('activity.queries'), values: v.days.map((d) => d.counts.get('queries') ?? 0) },
  ]);
  const blocked = barChart(
    'chart-blocked',
    t('activity.blockedChart'),
    days,
    categories.map((c) => ({ name: c, values: v.days.map((d) => d.counts.get(c) ?? 0) })),
  );
  const ageDays = (at: Date | undefined) =>
    at
      ? t('activity.ageDays', {
          days: Math.max(0, Math.floor((v.now.getTime() - at.getTime()) / DAY_MS)),
        })
      : '';
  const lists = v.lists
    .map(
      (l) =>
        `<tr><td>${escapeHtml(l.id)}</td><td>${escapeHtml(l.category)}</td><td>${l.entries}</td><td>${ageDays(l.created)}</td><td>${escapeHtml(timeIn(l.loadedAt, v.timeZone))}</td><td>${escapeHtml(timeIn(l.expires, v.timeZone))}</td><td>${escapeHtml(l.lastRefusal ? listRefusalText(l.lastRefusal, t) : '')}</td></tr>`,
    )
    .join('');
  const upstreams = v.upstreams
    .map(
      (u) =>
        `<tr><td>${escapeHtml(u.label)}</td><td>${escapeHtml(upstreamStateText(u.state, t))}</td><td>${u.lastRttMs === undefined ? '' : `${u.lastRttMs.toFixed(1)} ms`}</td><td>${escapeHtml(u.lastError ?? '')}</td></tr>`,
    )
    .join('');
  return `<section id="activity"><h2>${e('activity.title')}</h2>
<p>${e('activity.intro', { zone: v.timeZone })}</p>
<h3>${e('activity.queriesChart')}</h3>${queries}
<h3>${e('activity.blockedChart')}</h3>${blocked}
<h3>${e('activity.lists')}</h3><table id="activity-lists"><thead><tr><th>${e('status.list')}</th><th>${e('status.category')}</th><th>${e('status.entries')}</th><th>${e('activity.age')}</th><th>${e('activity.loaded')}</th><th>${e('status.expires')}</th><th>${e('activity.lastRefusal')}</th></tr></thead><tbody>${lists}</tbody></table>
<h3>${e('activity.upstreams')}</h3><table id="activity-upstreams"><thead><tr><th>${e('status.upstream')}</th><th>${e('status.state')}</th><th>${e('status.lastRtt')}</th><th>${e('status.lastError')}</th></tr></thead><tbody>${upstreams}</tbody></table>
</section>`;
}
