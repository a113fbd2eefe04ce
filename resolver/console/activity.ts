/**
 * "What happened": the daily counts as charts, the lists with age, expiry and last refused
 * update, the upstreams' health; every time in the café's zone. Aggregate only: the counts
 * per day and category are all the resolver keeps (no client, no name).
 */
import { barChart } from './charts.js';
import { escapeHtml } from './html.js';

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
    lastRefusal: string | undefined;
  }[];
  upstreams: readonly {
    label: string;
    state: string;
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

export function activitySection(v: ActivityView): string {
  const days = v.days.map((d) => d.day);
  const categories = [...new Set(v.days.flatMap((d) => [...d.counts.keys()]))]
    .filter((c) => c !== 'queries')
    .sort();
  const queries = barChart('chart-queries', 'Queries per day', days, [
    { name: 'queries', values: v.days.map((d) => d.counts.get('queries') ?? 0) },
  ]);
  const blocked = barChart(
    'chart-blocked',
    'Blocked per day and category',
    days,
    categories.map((c) => ({ name: c, values: v.days.map((d) => d.counts.get(c) ?? 0) })),
  );
  const ageDays = (at: Date | undefined) =>
    at ? `${Math.max(0, Math.floor((v.now.getTime() - at.getTime()) / DAY_MS))} d` : '';
  const lists = v.lists
    .map(
      (l) =>
        `<tr><td>${escapeHtml(l.id)}</td><td>${escapeHtml(l.category)}</td><td>${l.entries}</td><td>${ageDays(l.created)}</td><td>${escapeHtml(timeIn(l.loadedAt, v.timeZone))}</td><td>${escapeHtml(timeIn(l.expires, v.timeZone))}</td><td>${escapeHtml(l.lastRefusal ?? '')}</td></tr>`,
    )
    .join('');
  const upstreams = v.upstreams
    .map(
      (u) =>
        `<tr><td>${escapeHtml(u.label)}</td><td>${escapeHtml(u.state)}</td><td>${u.lastRttMs === undefined ? '' : `${u.lastRttMs.toFixed(1)} ms`}</td><td>${escapeHtml(u.lastError ?? '')}</td></tr>`,
    )
    .join('');
  return `<section id="activity"><h2>What happened</h2>
<p>Days and times in ${escapeHtml(v.timeZone)}. Only totals per day and category are kept: no devices, no names.</p>
${queries}
${blocked}
<h3>Lists</h3><table id="activity-lists"><thead><tr><th>List</th><th>Category</th><th>Entries</th><th>Age</th><th>Loaded</th><th>Expires</th><th>Last refused update</th></tr></thead><tbody>${lists}</tbody></table>
<h3>Upstreams</h3><table id="activity-upstreams"><thead><tr><th>Upstream</th><th>State</th><th>Last RTT</th><th>Last error</th></tr></thead><tbody>${upstreams}</tbody></table>
</section>`;
}
