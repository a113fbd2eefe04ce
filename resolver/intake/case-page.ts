/** A reported URL's case page (trace, notices, removal, hold) and the statistics page. */

import type { Analyst } from './analyst.js';
import type { CaseRecord, NoticeRecord } from './case-store.js';
import type { Hotline } from './notice.js';
import type { StatsResult } from './stats.js';
import type { Trace } from './trace/tracer.js';
import { csrfField, escapeHtml, page, signedInHeader } from './triage-page.js';

export interface CaseView {
  analyst: Analyst;
  csrf: string;
  record: CaseRecord;
  url: string;
  host: string;
  trace?: Trace;
  tracing: boolean;
  recheck?: string;
  hotline: Hotline;
  unitCountry: string;
  notices: NoticeRecord[];
  message?: string;
}

export function casePage(view: CaseView): string {
  const r = view.record;
  const group = `<input type="hidden" name="group" value="${escapeHtml(r.urlTag)}">`;
  const post = (action: string, label: string, extra = '') =>
    `<form class="inline" method="post" action="/triage/case/${action}">${csrfField(view.csrf)}${group}${extra}<button>${escapeHtml(label)}</button></form>`;
  const minutes =
    r.removedAt && r.firstReceived
      ? Math.round((Date.parse(r.removedAt) - Date.parse(r.firstReceived)) / 60_000)
      : undefined;
  const trace = view.trace;
  const firstAbuse = trace?.addresses.find((a) => a.abuse?.email)?.abuse;
  const domestic = trace?.country === view.unitCountry;
  const suggested = domestic
    ? { kind: 'notice', recipient: firstAbuse?.email ?? '' }
    : { kind: 'referral', recipient: `${view.hotline.name} <${view.hotline.url}>` };
  const addresses = (trace?.addresses ?? [])
    .map(
      (a) =>
        `<tr class="address"><td class="url">${escapeHtml(a.ip)}</td><td class="country">${escapeHtml(a.country ?? '?')}</td><td class="network">${a.asn ? `AS${a.asn} ` : ''}${escapeHtml(a.network ?? '')}</td><td class="abuse">${escapeHtml(a.abuse?.email ?? a.rdapError ?? '')}${a.abuse?.name ? ` (${escapeHtml(a.abuse.name)})` : ''}</td></tr>`,
    )
    .join('');
  const traceSection = trace
    ? `<p class="muted">Traced ${escapeHtml(trace.at)}${trace.cnames.length ? `; CNAME ${trace.cnames.map(escapeHtml).join(' → ')}` : ''}${trace.resolves ? '' : '; <strong>the host does not resolve</strong>'}</p>
<table id="trace"><thead><tr><th>Address</th><th>Country</th><th>Network</th><th>Abuse contact (RDAP)</th></tr></thead><tbody>${addresses}</tbody></table>`
    : `<p>${view.tracing ? 'Not traced yet.' : 'Tracing is not set up (--ip-db, --rdap-bootstrap).'}</p>`;
  const notices = view.notices
    .map(
      (n) =>
        `<tr class="notice"><td>${n.seq}</td><td>${n.kind}</td><td>${escapeHtml(n.recipient)}</td><td>${n.language}</td><td>${escapeHtml(n.createdAt)}</td><td>${escapeHtml(n.createdBy)}</td><td><a href="/triage/notice?id=${n.seq}&amp;format=text">text</a> <a href="/triage/notice?id=${n.seq}&amp;format=xarf">XARF</a></td></tr>`,
    )
    .join('');
  const hold =
    view.analyst.role === 'supervisor'
      ? post(
          'hold',
          r.legalHold ? 'Lift legal hold' : 'Set legal hold',
          `<input type="hidden" name="hold" value="${r.legalHold ? '0' : '1'}">`,
        )
      : '';
  return page(
    'Kalkan intake: case',
    `${signedInHeader(view.analyst, view.csrf)}
<h1>Case</h1>${view.message ? `<p class="warn" role="alert">${escapeHtml(view.message)}</p>` : ''}
<p class="url" id="case-url">${escapeHtml(view.url)}</p>
<p>State: <strong id="case-state">${r.state}</strong>${r.legalHold ? ' <strong id="legal-hold">(legal hold)</strong>' : ''}; ${r.reports} report(s), the first received ${escapeHtml(r.firstReceived ?? '?')}${minutes === undefined ? '' : `; <span id="time-to-removal">removed after ${minutes} minute(s)</span>`}</p>
<h2>Hosting</h2>${traceSection}
<p>${view.tracing ? post('trace', 'Trace now (DNS, IP data, RDAP)') : ''} ${post('recheck', 'Re-check by DNS')}${view.recheck ? ` <span id="recheck">${escapeHtml(view.recheck)}</span>` : ''}</p>
<h2>Notice or referral</h2>
<p class="muted">${domestic ? 'Hosted in the unit\u2019s country: a notice to the hosting network\u2019s abuse contact.' : `Hosted ${trace?.country ? `in ${escapeHtml(trace.country)}` : 'elsewhere or unknown'}: a referral to ${escapeHtml(view.hotline.name)} (${escapeHtml(view.hotline.url)}), or to police.`} The intake sends nothing: record the notice here, then send its text or XARF yourself.</p>
<form method="post" action="/triage/case/notice">${csrfField(view.csrf)}${group}
<label>Kind <select name="kind">${['notice', 'referral', 'police'].map((k) => `<option${k === suggested.kind ? ' selected' : ''}>${k}</option>`).join('')}</select></label>
<label>To <input name="recipient" size="50" required value="${escapeHtml(suggested.recipient)}"></label>
<label>Language <select name="language"><option>en</option><option>ru</option></select></label>
<button>Record notice</button></form>
<table><thead><tr><th>#</th><th>Kind</th><th>To</th><th>Lang.</th><th>When</th><th>By</th><th>Export</th></tr></thead><tbody>${notices}</tbody></table>
<h2>Removal</h2><p>${post('removed', 'Mark removed')} ${hold}</p>`,
  );
}

export function statsPage(
  analyst: Analyst,
  csrf: string,
  charts: { title: string; result: StatsResult }[],
): string {
  const removal = charts[0]?.result.timeToRemoval;
  return page(
    'Kalkan intake: statistics',
    `${signedInHeader(analyst, csrf)}<h1>Statistics</h1>
<p id="removal">Time to removal: ${removal?.urls ?? 0} URL(s) removed${removal?.medianMinutes === undefined ? '' : `, median ${removal.medianMinutes} min, 90th percentile ${removal.p90Minutes} min`}.</p>
${charts.map((c) => barChart(c.title, c.result)).join('')}
<p class="muted">Aggregates only. CSV or JSON: kalkan intake stats --by month|category|source|country|state --format csv|json</p>`,
  );
}

/** A server-made SVG bar chart (no scripts, nothing fetched). */
function barChart(title: string, result: StatsResult): string {
  const key = result.by[0];
  const rows = result.rows;
  const max = rows.reduce((most, r) => Math.max(most, r.count), 1);
  const bar = 22;
  const height = rows.length * bar + 10;
  const bars = rows
    .map((r, i) => {
      const label = key ? r[key] : '';
      const width = Math.round((r.count / max) * 360);
      return `<text x="0" y="${i * bar + 16}" font-size="13">${escapeHtml(label)}</text><rect x="150" y="${i * bar + 4}" width="${width}" height="16" fill="#4a6fa5"><title>${escapeHtml(label)}: ${r.count}</title></rect><text x="${156 + width}" y="${i * bar + 16}" font-size="13">${r.count}</text>`;
    })
    .join('');
  return `<h2>${escapeHtml(title)}</h2><svg class="chart" data-by="${key ?? ''}" role="img" aria-label="${escapeHtml(title)}" width="560" height="${height}" xmlns="http://www.w3.org/2000/svg">${bars}</svg>`;
}
