/**
 * The analyst's pages, as plain server-rendered HTML (no scripts). Reported URLs are shown as
 * text, never as links or images, so nothing in the page makes the browser fetch them.
 */
import { CATEGORY_DEFINITIONS } from '../../reporting/categories.js';
import { CSAM_CLASSIFICATIONS } from '../../reporting/xarf.js';
import type { HostGroup, UrlGroup } from './groups.js';
import type { AuditEntry } from './store.js';

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const STYLE = `body{font:15px system-ui,sans-serif;margin:1.5rem;max-width:70rem;color:#1a1a1a}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem}td,th{border-bottom:1px solid #ddd;padding:.35rem;text-align:left;vertical-align:top}
.url{font-family:monospace;word-break:break-all}.status{font-weight:600}h2{margin-bottom:0}.muted{color:#666}
form.inline{display:inline}.warn{background:#fff4d6;padding:.5rem;border-radius:4px}`;

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="referrer" content="same-origin"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body>${body}</body></html>`;
}

export function loginPage(message?: string): string {
  return page(
    'Kalkan intake: sign in',
    `<h1>Kalkan report intake</h1>${message ? `<p class="warn" role="alert">${escapeHtml(message)}</p>` : ''}
<form method="post" action="/triage/login">
<p><label>User <input name="user" autocomplete="username" required></label></p>
<p><label>Password <input name="password" type="password" autocomplete="current-password" required></label></p>
<p><button type="submit">Sign in</button></p></form>`,
  );
}

export interface TriageView {
  user: string;
  csrf: string;
  groups: HostGroup[];
  unreadable: string[];
  audit: AuditEntry[];
}

export function triagePage(view: TriageView): string {
  const total = view.groups.reduce((n, g) => n + g.count, 0);
  const hosts = view.groups.map((g) => hostSection(g, view.csrf)).join('');
  const unreadable = view.unreadable.length
    ? `<p class="warn">${view.unreadable.length} stored report(s) do not open with this key: ${view.unreadable.map(escapeHtml).join(', ')}</p>`
    : '';
  return page(
    'Kalkan intake: triage',
    `<header><form class="inline" method="post" action="/triage/logout"><input type="hidden" name="csrf" value="${escapeHtml(view.csrf)}">
Signed in as <strong>${escapeHtml(view.user)}</strong> <button type="submit">Sign out</button></form></header>
<h1>Reports (${total})</h1>
<p class="warn">Do not open these URLs in this browser, and never download or keep the material. Confirm from the reports and your case tools.</p>
${unreadable}${hosts || '<p>No reports yet.</p>'}
<h2>Audit log</h2><table><thead><tr><th>When</th><th>Who</th><th>What</th><th>Details</th></tr></thead><tbody>
${view.audit.map((a) => `<tr><td>${escapeHtml(a.at)}</td><td>${escapeHtml(a.user)}</td><td>${escapeHtml(a.action)}</td><td class="url">${escapeHtml(a.detail)}</td></tr>`).join('')}
</tbody></table>`,
  );
}

function hostSection(group: HostGroup, csrf: string): string {
  return `<section class="host" data-host="${escapeHtml(group.host)}"><h2>${escapeHtml(group.host)}</h2>
<p class="muted">${group.count} report(s), first seen ${escapeHtml(group.firstSeen)}, last seen ${escapeHtml(group.lastSeen)}</p>
<table><thead><tr><th>URL</th><th>Reports</th><th>First seen</th><th>Last seen</th><th>Categories</th><th>Status</th><th>Decide</th></tr></thead><tbody>
${group.urls.map((u) => urlRow(u, csrf)).join('')}</tbody></table></section>`;
}

function urlRow(group: UrlGroup, csrf: string): string {
  const options = CSAM_CLASSIFICATIONS.map(
    (c) => `<option value="${c}"${group.classification === c ? ' selected' : ''}>${c}</option>`,
  ).join('');
  const notes = group.notes.length
    ? `<div class="muted">Notes: ${group.notes.map((n) => `“${escapeHtml(n)}”`).join('; ')}</div>`
    : '';
  const status = `${group.status}${group.classification ? ` (CSAM ${group.classification})` : ''}`;
  return `<tr class="report-group" data-url="${escapeHtml(group.url)}"><td class="url">${escapeHtml(group.url)}${notes}</td>
<td class="count">${group.count}</td><td>${escapeHtml(group.firstSeen)}</td><td>${escapeHtml(group.lastSeen)}</td>
<td>${group.categories.map((c) => `<abbr title="${escapeHtml(CATEGORY_DEFINITIONS[c].meaning)}">${escapeHtml(CATEGORY_DEFINITIONS[c].label.en)}</abbr>`).join(', ')}</td><td class="status">${escapeHtml(status)}</td>
<td><form method="post" action="/triage/mark"><input type="hidden" name="csrf" value="${escapeHtml(csrf)}"><input type="hidden" name="url" value="${escapeHtml(group.url)}">
<label>CSAM classification <select name="classification"><option value="">none (CSEM)</option>${options}</select></label>
<button name="status" value="confirmed">Confirm</button> <button name="status" value="rejected">Reject</button> <button name="status" value="duplicate">Duplicate</button></form></td></tr>`;
}
