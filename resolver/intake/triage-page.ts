/**
 * The analysts' pages, as plain server-rendered HTML (no scripts). Reported URLs are shown as
 * text, never as links or images, so nothing in the page makes the browser fetch them.
 */
import { TRIAGE_CATEGORY_DEFINITIONS } from '../../reporting/categories.js';
import { CSAM_CLASSIFICATIONS } from '../../reporting/xarf.js';
import type { Analyst } from './analyst.js';
import type { HostGroup, TriagePageData, TriageQuery, UrlGroup } from './groups.js';
import { describeRetention, type Retention } from './retention.js';
import { WORKFLOW_STATES } from './states.js';
import type { AuditEntry, Role } from './store.js';

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const STYLE = `body{font:15px system-ui,sans-serif;margin:1.5rem;max-width:70rem;color:#1a1a1a}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem}td,th{border-bottom:1px solid #ddd;padding:.35rem;text-align:left;vertical-align:top}
.url{font-family:monospace;word-break:break-all}.status{font-weight:600}h2{margin-bottom:0}.muted{color:#666}
form.inline{display:inline}.warn{background:#fff4d6;padding:.5rem;border-radius:4px}nav a{margin-right:1rem}`;

export function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="referrer" content="same-origin"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body>${body}</body></html>`;
}

export function loginPage(message?: string): string {
  return page(
    'Kalkan intake: sign in',
    `<h1>Kalkan report intake</h1>${message ? `<p class="warn" role="alert">${escapeHtml(message)}</p>` : ''}
<form method="post" action="/triage/login">
<p><label>User <input name="user" autocomplete="username" required></label></p>
<p><label>Password <input name="password" type="password" autocomplete="current-password" required></label></p>
<p><label>Code from the authenticator app <input name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" required></label></p>
<p><button type="submit">Sign in</button></p></form>`,
  );
}

/** The header every signed-in page has: who, sign-out, and the pages this role may open. */
export function signedInHeader(analyst: Analyst, csrf: string): string {
  const admin = analyst.role === 'supervisor' ? '<a href="/triage/users">Accounts</a>' : '';
  return `<header><nav><a href="/triage">Reports</a><a href="/triage/stats">Statistics</a>${admin}</nav><form class="inline" method="post" action="/triage/logout">${csrfField(csrf)}
Signed in as <strong>${escapeHtml(analyst.user)}</strong> (${analyst.role}) <button type="submit">Sign out</button></form></header>`;
}

export const csrfField = (csrf: string) =>
  `<input type="hidden" name="csrf" value="${escapeHtml(csrf)}">`;

export interface TriageView {
  analyst: Analyst;
  csrf: string;
  data: TriagePageData;
  query: TriageQuery;
  reports: number;
  unreadable: string[];
  audit: AuditEntry[];
  failedSignIns: { day: string; account: string; count: number; firstAt: string; lastAt: string }[];
}

export function triagePage(view: TriageView): string {
  const hosts = view.data.hosts.map((g) => hostSection(g, view)).join('');
  const unreadable = view.unreadable.length
    ? `<p class="warn">${view.unreadable.length} stored report(s) do not open with this key: ${view.unreadable.slice(0, 20).map(escapeHtml).join(', ')}</p>`
    : '';
  const failed = view.failedSignIns.map(
    (f) =>
      `<tr><td>${escapeHtml(f.lastAt)}</td><td>${escapeHtml(f.account)}</td><td>sign-in failed ×${f.count}</td><td>${escapeHtml(f.day)}, first at ${escapeHtml(f.firstAt)}</td></tr>`,
  );
  return page(
    'Kalkan intake: triage',
    `${signedInHeader(view.analyst, view.csrf)}
<h1>Reports (${view.reports})</h1>
<p class="warn">Do not open these URLs in this browser, and never download or keep the material. Confirm from the reports and your case tools.</p>
<form method="get" action="/triage" role="search"><label>Host or URL <input name="q" value="${escapeHtml(view.query.search)}" size="50"></label>
<label><input type="checkbox" name="new" value="1"${view.query.onlyNew ? ' checked' : ''}> only URLs with new reports</label> <button type="submit">Search</button></form>
${unreadable}${hosts || '<p>No reports.</p>'}
${pager(view)}
<h2>Audit log</h2><table><thead><tr><th>When</th><th>Who</th><th>What</th><th>Details</th></tr></thead><tbody>
${view.audit.map((a) => `<tr><td>${escapeHtml(a.at)}</td><td>${escapeHtml(a.user)}</td><td>${escapeHtml(a.action)}</td><td class="url">${escapeHtml(a.detail)}</td></tr>`).join('')}
${failed.join('')}
</tbody></table>`,
  );
}

function pager(view: TriageView): string {
  const { page: current, pages, groups } = view.data;
  const link = (n: number, text: string) => {
    const params = new URLSearchParams({ page: String(n) });
    if (view.query.search) params.set('q', view.query.search);
    if (view.query.onlyNew) params.set('new', '1');
    return `<a rel="${text === 'Newer' ? 'prev' : 'next'}" href="/triage?${escapeHtml(params.toString())}">${text}</a>`;
  };
  return `<nav class="pager"><span>Page ${current} of ${pages} (${groups} URL(s), most recently seen first)</span>
${current > 1 ? link(current - 1, 'Newer') : ''} ${current < pages ? link(current + 1, 'Older') : ''}</nav>`;
}

function hostSection(group: HostGroup, view: TriageView): string {
  return `<section class="host" data-host="${escapeHtml(group.host)}"><h2>${escapeHtml(group.host)}</h2>
<p class="muted">${group.count} report(s) of this host</p>
<table><thead><tr><th>URL</th><th>Reports</th><th>First seen</th><th>Last seen</th><th>Categories</th><th>Status</th><th>Decide</th></tr></thead><tbody>
${group.urls.map((u) => urlRow(u, view)).join('')}</tbody></table></section>`;
}

function urlRow(group: UrlGroup, view: TriageView): string {
  const options = CSAM_CLASSIFICATIONS.map(
    (c) => `<option value="${c}"${group.classification === c ? ' selected' : ''}>${c}</option>`,
  ).join('');
  const notes = group.notes.length
    ? `<div class="muted">Notes: ${group.notes.map((n) => `“${escapeHtml(n)}”`).join('; ')}</div>`
    : '';
  const status = `${group.status}${group.classification ? ` (CSAM ${group.classification})` : ''}`;
  const categories = group.categories
    .map(
      (c) =>
        `<abbr class="category-${c}" title="${escapeHtml(TRIAGE_CATEGORY_DEFINITIONS[c].meaning)}">${escapeHtml(TRIAGE_CATEGORY_DEFINITIONS[c].label.en)}</abbr>`,
    )
    .join(', ');
  const seen = `<input type="hidden" name="group" value="${escapeHtml(group.urlTag)}"><input type="hidden" name="through" value="${group.throughSeq}">`;
  const undo =
    view.analyst.role === ('supervisor' satisfies Role) && group.status !== 'new'
      ? `<form method="post" action="/triage/undo">${csrfField(view.csrf)}${seen}<button name="undo" value="1">Undo decision</button></form>`
      : '';
  const caseLink = `<div><a class="case" href="/triage/case?group=${encodeURIComponent(group.urlTag)}">case: trace, notice, removal</a></div>`;
  return `<tr class="report-group" data-url="${escapeHtml(group.url)}"><td class="url">${escapeHtml(group.url)}${notes}${caseLink}</td>
<td class="count">${group.count}</td><td>${escapeHtml(group.firstSeen)}</td><td>${escapeHtml(group.lastSeen)}</td>
<td>${categories}</td><td class="status">${escapeHtml(status)}</td>
<td><form method="post" action="/triage/mark">${csrfField(view.csrf)}${seen}
<label>CSAM classification <select name="classification"><option value="">none (CSEM)</option>${options}</select></label>
<button name="status" value="confirmed">Confirm</button> <button name="status" value="rejected">Reject</button> <button name="status" value="duplicate">Duplicate</button></form>${undo}</td></tr>`;
}

export interface AccountsView {
  analyst: Analyst;
  csrf: string;
  users: { name: string; role: Role; createdAt: string }[];
  /** The retention rules in force (days per state; a state not named is kept). */
  retention: Retention;
  message?: string;
  /** A new account's enrolment URI, shown once. */
  enrolment?: { name: string; uri: string; secret: string };
}

export function accountsPage(view: AccountsView): string {
  const rows = view.users
    .map(
      (u) =>
        `<tr class="account" data-user="${escapeHtml(u.name)}"><td>${escapeHtml(u.name)}</td><td>${u.role}</td><td>${escapeHtml(u.createdAt)}</td><td>${
          u.name === view.analyst.user
            ? ''
            : `<form method="post" action="/triage/users/remove">${csrfField(view.csrf)}<input type="hidden" name="user" value="${escapeHtml(u.name)}"><button>Remove</button></form>`
        }</td></tr>`,
    )
    .join('');
  const enrolment = view.enrolment
    ? `<p class="warn" id="enrolment">Account <strong>${escapeHtml(view.enrolment.name)}</strong> made. Enrol its authenticator now (shown once): <code class="url">${escapeHtml(view.enrolment.uri)}</code> (secret <code>${escapeHtml(view.enrolment.secret)}</code>)</p>`
    : '';
  return page(
    'Kalkan intake: accounts',
    `${signedInHeader(view.analyst, view.csrf)}<h1>Accounts</h1>
${view.message ? `<p class="warn" role="alert">${escapeHtml(view.message)}</p>` : ''}${enrolment}
<table><thead><tr><th>Name</th><th>Role</th><th>Since</th><th></th></tr></thead><tbody>${rows}</tbody></table>
<h2>Add an account</h2><form method="post" action="/triage/users/add">${csrfField(view.csrf)}
<p><label>Name <input name="user" required pattern="[A-Za-z0-9._-]{1,64}"></label>
<label>Role <select name="role"><option value="analyst">analyst</option><option value="supervisor">supervisor</option></select></label></p>
<p><label>Password (at least 12 characters; tell it to the person in person) <input name="password" type="password" autocomplete="new-password" required minlength="12"></label></p>
<p><button type="submit">Add</button></p></form>
<h2>Retention</h2><p id="retention">Kept per state: ${escapeHtml(describeRetention(view.retention))} (purged daily; legal holds are never purged).</p>
<form method="post" action="/triage/retention" id="retention-form">${csrfField(view.csrf)}
<p>Days kept after arrival, per state; empty keeps them. Saved here, a state's days win over the server's <code>--keep STATE=DAYS</code>.</p>
<p>${WORKFLOW_STATES.map((state) => `<label>${state} <input name="days.${state}" inputmode="numeric" pattern="[0-9]*" size="5" value="${view.retention[state] ?? ''}"></label>`).join(' ')}</p>
<p><button type="submit">Save retention</button></p></form>
<form method="post" action="/triage/purge">${csrfField(view.csrf)}<button>Purge now</button></form>`,
  );
}
