/**
 * The status page's report form for café staff (issue 5): the form and the list of reports
 * made here, and the POST that queues one through the ReportService. The status port is
 * reachable from any page a local browser opens, so a POST must carry this process's token and
 * an Origin equal to the page's own; a Host that is a name other than localhost is refused
 * outright, so a DNS-rebinding page cannot read the token either. Anyone on the LAN can open
 * the page, so reports are limited per client address and by how many wait in the outbox: a
 * flood from one computer stops at its limit while staff elsewhere can still report.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { type OutboxEntry, OutboxStateError } from '../../reporting/outbox.js';
import { type ReportDraft, ReportError } from '../../reporting/schema.js';
import type { ReportService } from '../reports/service.js';
import { escapeHtml } from './html.js';
import { languageOfRequest } from './language.js';
import { type FormText, formText } from './report-form-text.js';
import { TokenBuckets } from './token-buckets.js';

export const REPORT_PATH = '/report';
const MAX_BODY = 16 * 1024;

/** What the page shows after a POST: the outcome, and on error the fields to fill again. */
export interface FormNotice {
  ok: boolean;
  message: string;
  draft?: Partial<Record<'url' | 'category' | 'whereFound' | 'note', string>>;
}

/** The form's words in the page's language (its switch, else Accept-Language: en, ru, ky). */
const textFor = (req: IncomingMessage): FormText => formText(languageOfRequest(req));

/** What the page says after a report was queued (the GET that follows the POST's 303). */
export function queuedNotice(req: IncomingMessage): FormNotice {
  return { ok: true, message: textFor(req).queued };
}

export interface ReportFormLimits {
  perClientPerHour: number;
  /** Reports waiting for delivery beyond which the form refuses new ones. */
  maxQueued: number;
}

export class ReportForm {
  private readonly token = randomBytes(32).toString('hex');
  private readonly perClient: TokenBuckets;

  /** `service` undefined: no `reports:` section, the page says how to set one up. */
  constructor(
    private readonly service: ReportService | undefined,
    private readonly limits: ReportFormLimits = { perClientPerHour: 10, maxQueued: 100 },
  ) {
    this.perClient = new TokenBuckets(limits.perClientPerHour / 3600, limits.perClientPerHour);
  }

  /** Host is an address or localhost: refuses pages that reach us through a rebound name. */
  static hostAllowed(req: IncomingMessage): boolean {
    const host = req.headers.host ?? '';
    const name = /^\[([^\]]+)\](?::\d+)?$/.exec(host)?.[1] ?? host.replace(/:\d+$/, '');
    return isIP(name) !== 0 || name.toLowerCase() === 'localhost';
  }

  async section(req: IncomingMessage, notice?: FormNotice): Promise<string> {
    const t = textFor(req);
    const open = `<section id="reports" lang="${t.lang}"><h2>${escapeHtml(t.title)}</h2>`;
    if (this.service && !ReportForm.hostAllowed(req)) {
      return `${open}<p>${escapeHtml(t.openByAddress)}</p></section>`;
    }
    if (!this.service) {
      return `${open}<p>${escapeHtml(t.notSetUp)}</p>
<pre>reports:
  intake: https://reports.unit.example/  # the unit's intake
  unitKey: /etc/kalkan/unit.pub          # the unit's public key file
</pre><p>${escapeHtml(t.notSetUpThen)}</p></section>`;
    }
    const d = notice?.draft ?? {};
    const options = (labels: Record<string, string>, chosen: string | undefined) =>
      Object.entries(labels)
        .map(
          ([value, label]) =>
            `<option value="${value}"${value === chosen ? ' selected' : ''}>${escapeHtml(label)}</option>`,
        )
        .join('');
    const status = notice
      ? `<p id="report-notice" role="status" class="${notice.ok ? 'ok' : 'error'}">${escapeHtml(notice.message)}</p>`
      : '';
    return `${open}
<p><strong>${escapeHtml(t.warning)}</strong> ${escapeHtml(t.sealed)}</p>
${status}
<form method="post" action="${REPORT_PATH}">
<input type="hidden" name="token" value="${this.token}">
<p><label>${escapeHtml(t.url)}<br><input name="url" type="url" required maxlength="2048" size="60" value="${escapeHtml(d.url)}"></label></p>
<p><label>${escapeHtml(t.category)}<br><select name="category" required>${options(t.categories, d.category)}</select></label></p>
<p><label>${escapeHtml(t.where)}<br><select name="whereFound">${options(t.whereFound, d.whereFound ?? 'web_page')}</select></label></p>
<p><label>${escapeHtml(t.note)}<br><textarea name="note" maxlength="500" rows="3" cols="60">${escapeHtml(d.note)}</textarea></label></p>
<p><button type="submit">${escapeHtml(t.send)}</button></p>
</form>
<h3>${escapeHtml(t.sentHere)}</h3><p>${escapeHtml(t.noAddresses)}</p>
${reportTable(await this.service.entries(), this.token, t)}
</section>`;
  }

  /**
   * POST /report: checks origin and token, queues the report, and answers with the notice to
   * show (the caller renders the page: 303 back to it on success, 400 with the notice on error).
   */
  async handle(req: IncomingMessage): Promise<{ status: number; notice: FormNotice }> {
    const t = textFor(req);
    const expectedOrigin = `http://${req.headers.host ?? ''}`;
    if (!ReportForm.hostAllowed(req) || req.headers.origin !== expectedOrigin)
      return { status: 403, notice: { ok: false, message: t.refusedOrigin } };
    let fields: URLSearchParams;
    try {
      fields = new URLSearchParams(await readBody(req));
    } catch {
      return { status: 413, notice: { ok: false, message: t.tooLarge } };
    }
    const token = Buffer.from(fields.get('token') ?? '');
    const mine = Buffer.from(this.token);
    if (token.length !== mine.length || !timingSafeEqual(token, mine))
      return {
        status: 403,
        notice: { ok: false, message: t.refusedToken },
      };
    if (!this.service) return { status: 404, notice: { ok: false, message: t.notSetUp } };
    const retry = fields.get('retry');
    if (retry !== null) {
      try {
        await this.service.retry(retry);
      } catch (error) {
        if (!(error instanceof OutboxStateError)) throw error;
        return {
          status: 400,
          notice: { ok: false, message: t.notSentAgain },
        };
      }
      return { status: 303, notice: queuedNotice(req) };
    }
    const waiting = (await this.service.entries()).filter((e) => e.state === 'queued').length;
    if (waiting >= this.limits.maxQueued)
      return { status: 503, notice: { ok: false, message: t.outboxFull } };
    if (!this.perClient.take(req.socket.remoteAddress ?? ''))
      return { status: 429, notice: { ok: false, message: t.tooMany } };
    const draft = {
      url: fields.get('url') ?? '',
      category: fields.get('category') ?? '',
      whereFound: fields.get('whereFound') || 'web_page',
      note: fields.get('note') ?? '',
    };
    try {
      await this.service.submit({
        url: draft.url,
        category: draft.category,
        whereFound: draft.whereFound,
        ...(draft.note.trim() ? { note: draft.note } : {}),
      } as ReportDraft);
    } catch (error) {
      if (!(error instanceof ReportError)) throw error;
      return {
        status: 400,
        notice: {
          ok: false,
          message: `${t.notSent}: ${t.checkField(fieldLabel(t, error.field))}`,
          draft,
        },
      };
    }
    return { status: 303, notice: queuedNotice(req) };
  }
}

/** The form's label of the field a ReportError names (the whole form when it names none of them). */
function fieldLabel(t: FormText, field: string): string {
  const labels: Record<string, string> = {
    url: t.url,
    category: t.category,
    whereFound: t.where,
    note: t.note,
  };
  return labels[field] ?? t.title;
}

/** A failed report (the intake refused it) can be queued again once the cause is fixed. */
function reportTable(entries: OutboxEntry[], token: string, t: FormText): string {
  if (entries.length === 0) return `<p id="report-list">${escapeHtml(t.noReports)}</p>`;
  const rows = [...entries]
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
    .map((e) => {
      // The intake's own words are English; this page shows only what it can say in its language.
      const why = e.lastStatus === undefined ? t.unreachable : `HTTP ${e.lastStatus}`;
      const state =
        e.state === 'failed'
          ? t.failedAfter(e.attempts, why)
          : e.state === 'queued' && e.attempts > 0
            ? t.queuedAfter(e.attempts, why)
            : t.states[e.state];
      const again =
        e.state === 'failed'
          ? `<form method="post" action="${REPORT_PATH}"><input type="hidden" name="token" value="${token}"><input type="hidden" name="retry" value="${escapeHtml(e.id)}"><button type="submit">${escapeHtml(t.sendAgain)}</button></form>`
          : '';
      return `<tr data-state="${e.state}"><td>${escapeHtml(e.createdAt)}</td><td>${escapeHtml(t.categories[e.category] ?? e.category)}</td><td>${escapeHtml(state)}</td><td>${escapeHtml(e.deliveredAt ?? '')}${again}</td></tr>`;
    })
    .join('');
  const head = t.columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('');
  return `<table id="report-list"><thead><tr>${head}</tr></thead><tbody>${rows}</tbody></table>`;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reject(new Error('the form is too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
