/**
 * The status page's report form for café staff (issue 5): the form and the list of reports
 * made here, and the POST that queues one through the ReportService. The status port is
 * reachable from any page a local browser opens, so a POST must carry this process's token and
 * an Origin equal to the page's own; a Host that is a name other than localhost is refused
 * outright, so a DNS-rebinding page cannot read the token either.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { type OutboxEntry, OutboxStateError } from '../../reporting/outbox.js';
import {
  type CATEGORIES,
  type ReportDraft,
  ReportError,
  type WHERE_FOUND,
} from '../../reporting/schema.js';
import type { ReportService } from '../reports/service.js';

export const REPORT_PATH = '/report';
const MAX_BODY = 16 * 1024;

const CATEGORY_LABELS: Record<(typeof CATEGORIES)[number], string> = {
  csam_suspected: 'Sexual abuse of a child (suspected)',
  csem: 'Sexualised images of children',
  grooming: 'Grooming (an adult approaching a child)',
  trafficking: 'Trafficking',
  other: 'Other',
};
const WHERE_LABELS: Record<(typeof WHERE_FOUND)[number], string> = {
  web_page: 'A web page',
  search: 'Search results',
  chat: 'A chat or game',
  social: 'A social network',
  email: 'An e-mail',
  other: 'Somewhere else',
};

const escapeHtml = (s: unknown) =>
  String(s ?? '').replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );

/** What the page shows after a POST: the outcome, and on error the fields to fill again. */
export interface FormNotice {
  ok: boolean;
  message: string;
  draft?: Partial<Record<'url' | 'category' | 'whereFound' | 'note', string>>;
}

export const QUEUED_NOTICE: FormNotice = {
  ok: true,
  message: 'Report queued; it is sent to the unit as soon as the intake can be reached.',
};

export class ReportForm {
  private readonly token = randomBytes(32).toString('hex');

  /** `service` undefined: no `reports:` section, the page says how to set one up. */
  constructor(private readonly service: ReportService | undefined) {}

  /** Host is an address or localhost: refuses pages that reach us through a rebound name. */
  static hostAllowed(req: IncomingMessage): boolean {
    const host = req.headers.host ?? '';
    const name = /^\[([^\]]+)\](?::\d+)?$/.exec(host)?.[1] ?? host.replace(/:\d+$/, '');
    return isIP(name) !== 0 || name.toLowerCase() === 'localhost';
  }

  async section(req: IncomingMessage, notice?: FormNotice): Promise<string> {
    if (this.service && !ReportForm.hostAllowed(req)) {
      return `<section id="reports"><h2>Report a site</h2><p>To report a site, open this page by the resolver's address (http://ADDRESS:PORT/) or as localhost, not by a name.</p></section>`;
    }
    if (!this.service) {
      return `<section id="reports"><h2>Report a site</h2><p>Reporting is not set up. To let staff report a site to the cybercrime unit from this page, add to the resolver's config:</p>
<pre>reports:
  intake: https://reports.unit.example/  # the unit's intake
  unitKey: /etc/kalkan/unit.pub          # the unit's public key file
</pre><p>then restart the resolver. See docs/operating-the-resolver.md.</p></section>`;
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
    return `<section id="reports"><h2>Report a site</h2>
<p><strong>Never download, screenshot, save or forward the material, not even as evidence: that is a crime in itself. Copy only the address (URL), close the page, and report it here.</strong> The report is sealed to the cybercrime unit's key; only the unit can read it.</p>
${status}
<form method="post" action="${REPORT_PATH}">
<input type="hidden" name="token" value="${this.token}">
<p><label>Address (URL) of the page<br><input name="url" type="url" required maxlength="2048" size="60" value="${escapeHtml(d.url)}"></label></p>
<p><label>What it shows<br><select name="category" required>${options(CATEGORY_LABELS, d.category)}</select></label></p>
<p><label>Where it was found<br><select name="whereFound">${options(WHERE_LABELS, d.whereFound ?? 'web_page')}</select></label></p>
<p><label>Note (optional; no names of children)<br><textarea name="note" maxlength="500" rows="3" cols="60">${escapeHtml(d.note)}</textarea></label></p>
<p><button type="submit">Send report</button></p>
</form>
<h3>Reports sent from here</h3><p>Addresses are not kept here: each report is sealed when it is made.</p>
${reportTable(await this.service.entries(), this.token)}
</section>`;
  }

  /**
   * POST /report: checks origin and token, queues the report, and answers with the notice to
   * show (the caller renders the page: 303 back to it on success, 400 with the notice on error).
   */
  async handle(req: IncomingMessage): Promise<{ status: number; notice: FormNotice }> {
    const expectedOrigin = `http://${req.headers.host ?? ''}`;
    if (!ReportForm.hostAllowed(req) || req.headers.origin !== expectedOrigin)
      return { status: 403, notice: { ok: false, message: 'Refused: not sent from this page.' } };
    let fields: URLSearchParams;
    try {
      fields = new URLSearchParams(await readBody(req));
    } catch (error) {
      return { status: 413, notice: { ok: false, message: (error as Error).message } };
    }
    const token = Buffer.from(fields.get('token') ?? '');
    const mine = Buffer.from(this.token);
    if (token.length !== mine.length || !timingSafeEqual(token, mine))
      return {
        status: 403,
        notice: { ok: false, message: 'Refused: the form is out of date; reload the page.' },
      };
    if (!this.service)
      return { status: 404, notice: { ok: false, message: 'Reporting is not set up.' } };
    const retry = fields.get('retry');
    if (retry !== null) {
      try {
        await this.service.retry(retry);
      } catch (error) {
        if (!(error instanceof OutboxStateError)) throw error;
        return { status: 400, notice: { ok: false, message: `Not sent again: ${error.message}` } };
      }
      return { status: 303, notice: QUEUED_NOTICE };
    }
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
        notice: { ok: false, message: `Not sent: ${error.message}`, draft },
      };
    }
    return { status: 303, notice: QUEUED_NOTICE };
  }
}

/** A failed report (the intake refused it) can be queued again once the cause is fixed. */
function reportTable(entries: OutboxEntry[], token: string): string {
  if (entries.length === 0) return '<p id="report-list">No reports yet.</p>';
  const rows = [...entries]
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
    .map((e) => {
      const state =
        e.state === 'failed'
          ? `failed after ${e.attempts} attempt(s): ${e.lastError ?? `HTTP ${e.lastStatus ?? '?'}`}`
          : e.state === 'queued' && e.attempts > 0
            ? `queued (${e.attempts} attempts; ${e.lastError ?? `HTTP ${e.lastStatus ?? '?'}`})`
            : e.state;
      const again =
        e.state === 'failed'
          ? `<form method="post" action="${REPORT_PATH}"><input type="hidden" name="token" value="${token}"><input type="hidden" name="retry" value="${escapeHtml(e.id)}"><button type="submit">Send again</button></form>`
          : '';
      return `<tr data-state="${e.state}"><td>${escapeHtml(e.createdAt)}</td><td>${escapeHtml(CATEGORY_LABELS[e.category] ?? e.category)}</td><td>${escapeHtml(state)}</td><td>${escapeHtml(e.deliveredAt ?? '')}${again}</td></tr>`;
    })
    .join('');
  return `<table id="report-list"><thead><tr><th>Made (UTC)</th><th>Category</th><th>State</th><th>Delivered</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reject(new Error('Not sent: the form is too large.'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
