/**
 * The console's HTML: server-rendered, no scripts (the CSP allows none), every form carrying
 * the session's CSRF token, every word from the catalogue of the request's language.
 */
import { DAYS, type ScheduleWindow } from '../policies/schedule.js';
import { type Language, languageSwitch, type Translate } from '../serve/language.js';
import { inLanguage } from '../serve/reasons.js';
import { type ActivityView, activitySection } from './activity.js';
import { escapeHtml } from './html.js';
import type { LocalRule } from './local-rules.js';
import type { DeviceEntry } from './policy-edits.js';

const STYLE =
  'body{font-family:system-ui,sans-serif;margin:2rem;max-width:60rem}table{border-collapse:collapse;margin:.5rem 0 1rem}td,th{border:1px solid #ccc;padding:.25rem .6rem;text-align:left}.error{color:#a00}.ok{color:#060}';

/** What every page needs: the language and its words. */
export interface Words {
  lang: Language;
  t: Translate;
}

function layout(w: Words, title: string, body: string): string {
  return `<!doctype html>
<html lang="${w.lang}"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>${STYLE}</style></head>
<body>${languageSwitch(w.lang, escapeHtml)}<h1>${escapeHtml(title)}</h1>${body}</body></html>`;
}

const csrfField = (token: string) =>
  `<input type="hidden" name="_csrf" value="${escapeHtml(token)}">`;

export function signInPage(w: Words, csrf: string, message?: string): string {
  const { t } = w;
  return layout(
    w,
    t('signIn.title'),
    `${message ? `<p id="notice" class="error" role="alert">${escapeHtml(message)}</p>` : ''}
<form method="post" action="/console/sign-in">${csrfField(csrf)}
<p><label>${escapeHtml(t('signIn.name'))}<br><input name="user" autocomplete="username" required></label></p>
<p><label>${escapeHtml(t('signIn.password'))}<br><input name="password" type="password" autocomplete="current-password" required></label></p>
<p><button type="submit">${escapeHtml(t('signIn.submit'))}</button></p></form>
<p><a href="/">${escapeHtml(t('console.statusPage'))}</a></p>`,
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
  verdict: 'blocked' | 'allowedLocally' | 'open';
  category?: string;
  list?: string;
  localRule?: string;
  /** The upstreams' answer (rcode and records), or why none came (the forwarder's words). */
  upstream: { answer: string } | { noAnswer: string };
}

/** A policy as the console lists it: its settings and what is in force now. */
export interface PolicyView {
  name: string;
  subnets: readonly string[];
  schedule: readonly ScheduleWindow[];
  /** What it blocks now (with a schedule applied); undefined: every category. */
  nowBlocks: readonly string[] | undefined;
  nowSafeSearch: boolean;
}

export interface ConsoleView extends Words {
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
  /** Now, shown in timeZone and the page's language (as the schedules see it). */
  now: Date;
  activity: ActivityView;
}

export function consolePage(v: ConsoleView): string {
  const { t } = v;
  const e = (key: Parameters<Translate>[0], values?: Parameters<Translate>[1]) =>
    escapeHtml(t(key, values));
  const f = csrfField(v.csrf);
  const notice = v.notice
    ? `<div id="notice" role="status" class="${v.notice.ok ? 'ok' : 'error'}">${v.notice.lines.map((l) => `<p>${escapeHtml(inLanguage(l, v.t))}</p>`).join('')}${v.notice.review ? reviewForm(v, f, v.notice.review.name) : ''}</div>`
    : '';
  const rows = v.rules
    .map(
      (r) =>
        `<tr><td>${escapeHtml(r.name)}</td><td>${r.action === 'allow' ? e('console.allow') : e('console.block')}</td><td>${escapeHtml(r.action === 'block' ? r.category : '')}</td><td>${escapeHtml(r.note)}</td><td>${escapeHtml(r.addedBy)}</td><td>${escapeHtml(r.addedAt)}</td><td><form method="post" action="/console/rules/remove">${f}<input type="hidden" name="name" value="${escapeHtml(r.name)}"><button type="submit">${e('console.remove')}</button></form></td></tr>`,
    )
    .join('');
  const rules = v.editable
    ? `<table id="rules"><thead><tr><th>${e('console.ruleName')}</th><th>${e('console.rule')}</th><th>${e('console.category')}</th><th>${e('console.note')}</th><th>${e('console.addedBy')}</th><th>${e('console.added')}</th><th></th></tr></thead><tbody>${rows}</tbody></table>
<form method="post" action="/console/rules" id="add-rule">${f}
<p><label>${e('console.nameAndSubdomains')}<br><input name="name" required maxlength="253"></label></p>
<p><label>${e('console.rule')}<br><select name="action"><option value="block">${e('console.block')}</option><option value="allow">${e('console.allow')}</option></select></label>
<label>${e('console.categoryForBlock')}<br><input name="category" value="adult" maxlength="40"></label></p>
<p><label>${e('console.note')}<br><input name="note" maxlength="500" size="60"></label></p>
<p><button type="submit">${e('console.saveRule')}</button></p></form>`
    : `<p>${e('console.noConfig')}</p>`;
  const c = v.check;
  const verdicts = {
    blocked: 'console.verdictBlocked',
    allowedLocally: 'console.verdictAllowedLocally',
    open: 'console.verdictOpen',
  } as const;
  const check = c
    ? `<table id="check-result"><tbody>${(
        [
          ['console.ruleName', c.host],
          ['console.verdict', t(verdicts[c.verdict])],
          ['console.category', c.category ?? ''],
          ['console.list', c.list ?? ''],
          ['console.localRule', c.localRule ?? ''],
          ['console.policy', c.policy],
          [
            'console.upstreamAnswers',
            'answer' in c.upstream
              ? c.upstream.answer
              : t('console.upstreamNoAnswer', { reason: c.upstream.noAnswer }),
          ],
        ] as const
      )
        .map(([k, val]) => `<tr><th>${e(k)}</th><td>${escapeHtml(val)}</td></tr>`)
        .join('')}</tbody></table>`
    : '';
  return layout(
    v,
    t('console.title'),
    `<p>${e('console.signedInAs')} <strong id="who">${escapeHtml(v.user)}</strong>.</p>
<form method="post" action="/console/sign-out">${f}<button type="submit">${e('console.signOut')}</button></form>
${notice}
<section id="local-rules"><h2>${e('console.rules')}</h2>
<p>${e('console.rulesIntro')}</p>
${rules}</section>
${devicesSection(v, f)}
<section id="check"><h2>${e('console.check')}</h2>
<form method="post" action="/console/check">${f}
<p><label>${e('console.nameOrUrl')}<br><input name="name" required maxlength="2048" size="60"></label>
<label>${e('console.asDevice')}<br><input name="client" maxlength="45"></label></p>
<p><button type="submit">${e('console.checkSubmit')}</button></p></form>${check}</section>
${activitySection(v.activity, t)}
<p><a href="/">${e('console.statusPage')}</a></p>`,
  );
}

function reviewForm(v: ConsoleView, f: string, name: string): string {
  const { t } = v;
  if (!v.reportsConfigured) return `<p>${escapeHtml(t('console.reviewNoReports'))}</p>`;
  return `<form method="post" action="/console/review" id="review">${f}
<input type="hidden" name="name" value="${escapeHtml(name)}">
<p><label>${escapeHtml(t('console.reviewWhy', { name }))}<br><input name="note" maxlength="500" size="60"></label></p>
<p><button type="submit">${escapeHtml(t('console.reviewSubmit'))}</button></p></form>`;
}

function devicesSection(v: ConsoleView, f: string): string {
  if (!v.editable) return '';
  const { t } = v;
  const e = (key: Parameters<Translate>[0], values?: Parameters<Translate>[1]) =>
    escapeHtml(t(key, values));
  const policyOptions = v.policies
    .map((p) => `<option value="${escapeHtml(p.name)}">${escapeHtml(p.name)}</option>`)
    .join('');
  const devices = v.devices
    .map(
      (d) =>
        `<tr><td>${escapeHtml(d.name)}</td><td>${escapeHtml(d.address)}</td><td>${escapeHtml(d.policy)}</td><td><form method="post" action="/console/devices/remove">${f}<input type="hidden" name="name" value="${escapeHtml(d.name)}"><button type="submit">${e('console.remove')}</button></form></td></tr>`,
    )
    .join('');
  const policies = v.policies
    .map(
      (p) =>
        `<tr data-policy="${escapeHtml(p.name)}"><td>${escapeHtml(p.name)}</td><td>${escapeHtml(p.subnets.join(', '))}</td><td>${escapeHtml(p.schedule.map((w) => windowText(w, t)).join('; '))}</td><td class="now-blocks">${escapeHtml(p.nowBlocks?.join(', ') ?? t('console.allCategories'))}</td><td class="now-safe-search">${p.nowSafeSearch ? e('console.on') : e('console.off')}</td><td>${p.schedule.length ? `<form method="post" action="/console/policies/schedule">${f}<input type="hidden" name="policy" value="${escapeHtml(p.name)}"><input type="hidden" name="clear" value="1"><button type="submit">${e('console.clearSchedule')}</button></form>` : ''}</td></tr>`,
    )
    .join('');
  const dayNames = t('console.days').split(',');
  const days = DAYS.map(
    (d, i) =>
      `<label><input type="checkbox" name="days" value="${d}">${escapeHtml(dayNames[i] ?? d)}</label>`,
  ).join(' ');
  return `<section id="devices"><h2>${e('console.devices')}</h2>
<p>${e('console.timeZoneNow', { zone: v.timeZone, now: new Intl.DateTimeFormat(v.lang, { timeZone: v.timeZone, dateStyle: 'full', timeStyle: 'short' }).format(v.now) })}</p>
<table id="device-list"><thead><tr><th>${e('console.device')}</th><th>${e('console.address')}</th><th>${e('console.policy')}</th><th></th></tr></thead><tbody>${devices}</tbody></table>
<form method="post" action="/console/devices" id="add-device">${f}
<label>${e('console.deviceName')} <input name="name" required maxlength="100"></label>
<label>${e('console.address')} <input name="address" required maxlength="50"></label>
<label>${e('console.policy')} <select name="policy">${policyOptions}</select></label>
<button type="submit">${e('console.saveDevice')}</button></form>
<table id="policy-list"><thead><tr><th>${e('console.policy')}</th><th>${e('console.subnets')}</th><th>${e('console.schedule')}</th><th>${e('console.blocksNow')}</th><th>${e('console.safeSearchNow')}</th><th></th></tr></thead><tbody>${policies}</tbody></table>
<form method="post" action="/console/policies" id="add-policy">${f}
<label>${e('console.policyName')} <input name="name" required maxlength="60"></label>
<label>${e('console.policyBlocks')} <input name="categories" maxlength="200"></label>
<label><input type="checkbox" name="safeSearch" value="1"> ${e('console.safeSearch')}</label>
<button type="submit">${e('console.savePolicy')}</button></form>
<form method="post" action="/console/policies/schedule" id="schedule">${f}
<p><label>${e('console.policy')} <select name="policy">${policyOptions}</select></label> ${days}</p>
<p><label>${e('console.from')} <input name="from" placeholder="15:00" required pattern="[0-2][0-9]:[0-5][0-9]"></label>
<label>${e('console.to')} <input name="to" placeholder="21:00" required pattern="[0-2][0-9]:[0-5][0-9]"></label>
<label>${e('console.blocksDuring')} <input name="categories" value="abuse, adult" maxlength="200"></label>
<label><input type="checkbox" name="safeSearch" value="1" checked> ${e('console.safeSearchDuring')}</label></p>
<p><button type="submit">${e('console.addWindow')}</button></p></form></section>`;
}

/** A schedule window in words: "пн,вт 15:00–21:00: abuse, adult, безопасный поиск". */
function windowText(w: ScheduleWindow, t: Translate): string {
  const names = t('console.days').split(',');
  const days = w.days.map((d) => names[DAYS.indexOf(d)] ?? d).join(',');
  const blocks = w.categories?.join(', ') ?? t('console.ownCategories');
  return `${days} ${w.from}–${w.to}: ${blocks}${w.safeSearch ? `, ${t('console.safeSearch')}` : ''}`;
}
