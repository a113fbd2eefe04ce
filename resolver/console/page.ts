/**
 * The console's HTML: server-rendered, no scripts (the status server's CSP allows none), every
 * form carrying the session's CSRF token.
 */
import { DAYS } from '../policies/schedule.js';
import { type ActivityView, activitySection } from './activity.js';
import { escapeHtml } from './html.js';
import type { LocalRule } from './local-rules.js';
import type { DeviceEntry } from './policy-edits.js';

const STYLE =
  'body{font-family:system-ui,sans-serif;margin:2rem;max-width:60rem}table{border-collapse:collapse;margin:.5rem 0 1rem}td,th{border:1px solid #ccc;padding:.25rem .6rem;text-align:left}.error{color:#a00}.ok{color:#060}';

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>${STYLE}</style></head>
<body><h1>${escapeHtml(title)}</h1>${body}</body></html>`;
}

const csrfField = (token: string) =>
  `<input type="hidden" name="_csrf" value="${escapeHtml(token)}">`;

export function signInPage(csrf: string, message?: string): string {
  return layout(
    'Kalkan console: sign in',
    `${message ? `<p id="notice" class="error" role="alert">${escapeHtml(message)}</p>` : ''}
<form method="post" action="/console/sign-in">${csrfField(csrf)}
<p><label>Name<br><input name="user" autocomplete="username" required></label></p>
<p><label>Password<br><input name="password" type="password" autocomplete="current-password" required></label></p>
<p><button type="submit">Sign in</button></p></form>
<p><a href="/">Status page</a></p>`,
  );
}

/** What the console shows after an action: a line, and for a refused allow the review form. */
export interface Notice {
  ok: boolean;
  lines: string[];
  /** A name on a list only the unit can change: offer to ask the unit to review it. */
  review?: { name: string; category: string; listId: string };
}

/** The verdict for one name, as check-a-name shows it. */
export interface NameReport {
  host: string;
  policy: string;
  verdict: string;
  category?: string;
  list?: string;
  localRule?: string;
  upstream: string;
}

/** A policy as the console lists it: its settings and what is in force now. */
export interface PolicyView {
  name: string;
  subnets: readonly string[];
  schedule: string;
  /** What it blocks now (with a schedule applied). */
  nowBlocks: string;
  nowSafeSearch: boolean;
  scheduled: boolean;
}

export interface ConsoleView {
  user: string;
  csrf: string;
  rules: readonly LocalRule[];
  editable: boolean;
  reportsConfigured: boolean;
  notice?: Notice | undefined;
  check?: NameReport | undefined;
  devices: readonly DeviceEntry[];
  policies: readonly PolicyView[];
  timeZone: string;
  /** The time now in timeZone, as the schedules see it. */
  localNow: string;
  activity: ActivityView;
}

export function consolePage(v: ConsoleView): string {
  const f = csrfField(v.csrf);
  const notice = v.notice
    ? `<div id="notice" role="status" class="${v.notice.ok ? 'ok' : 'error'}">${v.notice.lines.map((l) => `<p>${escapeHtml(l)}</p>`).join('')}${v.notice.review ? reviewForm(f, v.notice.review, v.reportsConfigured) : ''}</div>`
    : '';
  const rows = v.rules
    .map(
      (r) =>
        `<tr><td>${escapeHtml(r.name)}</td><td>${r.action}</td><td>${escapeHtml(r.action === 'block' ? r.category : '')}</td><td>${escapeHtml(r.note)}</td><td>${escapeHtml(r.addedBy)}</td><td>${escapeHtml(r.addedAt)}</td><td><form method="post" action="/console/rules/remove">${f}<input type="hidden" name="name" value="${escapeHtml(r.name)}"><button type="submit">Remove</button></form></td></tr>`,
    )
    .join('');
  const rules = v.editable
    ? `<table id="rules"><thead><tr><th>Name</th><th>Rule</th><th>Category</th><th>Note</th><th>Added by</th><th>Added</th><th></th></tr></thead><tbody>${rows}</tbody></table>
<form method="post" action="/console/rules" id="add-rule">${f}
<p><label>Name (and its subdomains)<br><input name="name" required maxlength="253"></label></p>
<p><label>Rule<br><select name="action"><option value="block">Block</option><option value="allow">Allow</option></select></label>
<label>Category (for a block)<br><input name="category" value="adult" maxlength="40"></label></p>
<p><label>Note<br><input name="note" maxlength="500" size="60"></label></p>
<p><button type="submit">Save rule</button></p></form>`
    : '<p>kalkan serve was started without --config: local rules need a config file to be kept in.</p>';
  const check = v.check
    ? `<table id="check-result"><tbody>${(
        [
          ['Name', v.check.host],
          ['Verdict', v.check.verdict],
          ['Category', v.check.category ?? ''],
          ['List', v.check.list ?? ''],
          ['Local rule', v.check.localRule ?? ''],
          ['Policy', v.check.policy],
          ['Upstream answers', v.check.upstream],
        ] as const
      )
        .map(([k, val]) => `<tr><th>${k}</th><td>${escapeHtml(val)}</td></tr>`)
        .join('')}</tbody></table>`
    : '';
  return layout(
    'Kalkan console',
    `<p>Signed in as <strong id="who">${escapeHtml(v.user)}</strong>.</p>
<form method="post" action="/console/sign-out">${f}<button type="submit">Sign out</button></form>
${notice}
<section id="local-rules"><h2>Local rules</h2>
<p>Allow or block a name and its subdomains here. Names on the unit's abuse list cannot be allowed here; ask the unit to review them.</p>
${rules}</section>
${devicesSection(v, f)}
<section id="check"><h2>Check a name</h2>
<form method="post" action="/console/check">${f}
<p><label>Name or URL<br><input name="name" required maxlength="2048" size="60"></label>
<label>As seen by the device at (optional)<br><input name="client" maxlength="45"></label></p>
<p><button type="submit">Check</button></p></form>${check}</section>
${activitySection(v.activity)}
<p><a href="/">Status page</a></p>`,
  );
}

function reviewForm(
  f: string,
  r: { name: string; category: string; listId: string },
  configured: boolean,
): string {
  if (!configured)
    return "<p>Set up reports: (the unit's intake and key) in the config to ask the unit to review a block.</p>";
  return `<form method="post" action="/console/review" id="review">${f}
<input type="hidden" name="name" value="${escapeHtml(r.name)}">
<p><label>Why should the unit look at ${escapeHtml(r.name)} again?<br><input name="note" maxlength="500" size="60"></label></p>
<p><button type="submit">Ask the unit to review this block</button></p></form>`;
}

function devicesSection(v: ConsoleView, f: string): string {
  if (!v.editable) return '';
  const policyOptions = v.policies
    .map((p) => `<option value="${escapeHtml(p.name)}">${escapeHtml(p.name)}</option>`)
    .join('');
  const devices = v.devices
    .map(
      (d) =>
        `<tr><td>${escapeHtml(d.name)}</td><td>${escapeHtml(d.address)}</td><td>${escapeHtml(d.policy)}</td><td><form method="post" action="/console/devices/remove">${f}<input type="hidden" name="name" value="${escapeHtml(d.name)}"><button type="submit">Remove</button></form></td></tr>`,
    )
    .join('');
  const policies = v.policies
    .map(
      (p) =>
        `<tr data-policy="${escapeHtml(p.name)}"><td>${escapeHtml(p.name)}</td><td>${escapeHtml(p.subnets.join(', '))}</td><td>${escapeHtml(p.schedule)}</td><td class="now-blocks">${escapeHtml(p.nowBlocks)}</td><td class="now-safe-search">${p.nowSafeSearch ? 'on' : 'off'}</td><td>${p.scheduled ? `<form method="post" action="/console/policies/schedule">${f}<input type="hidden" name="policy" value="${escapeHtml(p.name)}"><input type="hidden" name="clear" value="1"><button type="submit">Clear schedule</button></form>` : ''}</td></tr>`,
    )
    .join('');
  const days = DAYS.map(
    (d) => `<label><input type="checkbox" name="days" value="${d}">${d}</label>`,
  ).join(' ');
  return `<section id="devices"><h2>Devices and policies</h2>
<p>Time zone ${escapeHtml(v.timeZone)}; it is now ${escapeHtml(v.localNow)} there.</p>
<table id="device-list"><thead><tr><th>Device</th><th>Address or subnet</th><th>Policy</th><th></th></tr></thead><tbody>${devices}</tbody></table>
<form method="post" action="/console/devices" id="add-device">${f}
<label>Device name <input name="name" required maxlength="100"></label>
<label>Address or subnet <input name="address" required maxlength="50"></label>
<label>Policy <select name="policy">${policyOptions}</select></label>
<button type="submit">Save device</button></form>
<table id="policy-list"><thead><tr><th>Policy</th><th>Subnets</th><th>Schedule</th><th>Blocks now</th><th>Safe search now</th><th></th></tr></thead><tbody>${policies}</tbody></table>
<form method="post" action="/console/policies" id="add-policy">${f}
<label>Policy name <input name="name" required maxlength="60"></label>
<label>Blocks (categories, comma-separated; empty: all) <input name="categories" maxlength="200"></label>
<label><input type="checkbox" name="safeSearch" value="1"> Safe search</label>
<button type="submit">Save policy</button></form>
<form method="post" action="/console/policies/schedule" id="schedule">${f}
<p><label>Policy <select name="policy">${policyOptions}</select></label> ${days}</p>
<p><label>From <input name="from" placeholder="15:00" required pattern="[0-2][0-9]:[0-5][0-9]"></label>
<label>To <input name="to" placeholder="21:00" required pattern="[0-2][0-9]:[0-5][0-9]"></label>
<label>Blocks during (categories) <input name="categories" value="abuse, adult" maxlength="200"></label>
<label><input type="checkbox" name="safeSearch" value="1" checked> Safe search during</label></p>
<p><button type="submit">Add this time window</button></p></form></section>`;
}
