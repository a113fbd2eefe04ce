/**
 * The hotline workflow's routes for one confirmed URL: trace its hosting, record a notice or
 * referral (drafted here, sent by the analyst), re-check it by DNS, mark it removed, and a
 * supervisor's legal hold; plus the statistics page.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { XarfParty } from '../../reporting/xarf.js';
import { casePage, statsPage } from './case-page.js';
import { NOTICE_KINDS, type NoticeKind } from './case-store.js';
import {
  draftNotice,
  type Hotlines,
  hotlineFor,
  NOTICE_LANGUAGES,
  type NoticeLanguage,
} from './notice.js';
import type { OpenedReports } from './opened.js';
import { requireSupervisor, sendLogin, signedIn } from './signin.js';
import { STATS_KEYS, statistics } from './stats.js';
import type { IntakeStore } from './store.js';
import type { HostResolver } from './trace/dns.js';
import type { TraceService } from './trace/service.js';

export interface CaseDeps {
  store: IntakeStore;
  opened: OpenedReports;
  dns: HostResolver;
  traces?: TraceService;
  hotlines: Hotlines;
  unitCountry: string;
  unit: XarfParty;
}

type Form = Record<string, string | undefined>;

export async function caseRoutes(app: FastifyInstance, deps: CaseDeps): Promise<void> {
  const { store, opened } = deps;

  const render = (
    request: FastifyRequest,
    reply: FastifyReply,
    tag: string,
    extra: { message?: string; recheck?: string } = {},
    status = 200,
  ) => {
    const analyst = signedIn(request, store);
    if (!analyst) return sendLogin(reply, 200);
    const record = store.cases.caseOf(tag);
    if (!record) return sendLogin(reply, 404, 'No such URL.');
    const label = opened.index.openLabel(record.label);
    const trace = record.trace && deps.traces ? deps.traces.openTrace(record.trace) : undefined;
    return reply
      .code(status)
      .type('text/html; charset=utf-8')
      .send(
        casePage({
          analyst,
          csrf: reply.generateCsrf(),
          record,
          url: label.url,
          host: label.host,
          ...(trace ? { trace } : {}),
          tracing: deps.traces !== undefined,
          hotline: hotlineFor(deps.hotlines, record.country),
          unitCountry: deps.unitCountry,
          notices: store.cases.notices(tag),
          ...extra,
        }),
      );
  };

  /** The signed-in analyst and the case a POST names, or an answer already sent. */
  const posted = (request: FastifyRequest, reply: FastifyReply) => {
    const analyst = signedIn(request, store);
    const form = request.body as Form;
    const record = store.cases.caseOf(form.group ?? '');
    if (!analyst) return { sent: reply.redirect('/triage', 303) };
    if (!record) return { sent: sendLogin(reply, 404, 'No such URL.') };
    return { analyst, form, record, label: opened.index.openLabel(record.label) };
  };
  const back = (reply: FastifyReply, tag: string) =>
    reply.redirect(`/triage/case?group=${encodeURIComponent(tag)}`, 303);
  const csrf = { preHandler: app.csrfProtection };

  app.get('/triage/case', async (request, reply) =>
    render(request, reply, (request.query as Form).group ?? ''),
  );

  app.post('/triage/case/trace', csrf, async (request, reply) => {
    const p = posted(request, reply);
    if ('sent' in p) return p.sent;
    if (!deps.traces)
      return render(request, reply, p.record.urlTag, { message: 'Tracing is not set up.' }, 400);
    await deps.traces.traceNow(p.label.host);
    store.log(p.analyst.user, 'trace', `group ${p.record.urlTag}`);
    return back(reply, p.record.urlTag);
  });

  app.post('/triage/case/recheck', csrf, async (request, reply) => {
    const p = posted(request, reply);
    if ('sent' in p) return p.sent;
    const answer = await deps.dns.resolve(p.label.host);
    const result = answer.resolves
      ? `still resolves (${answer.addresses.length} address(es)) at ${new Date().toISOString()}`
      : `does not resolve at ${new Date().toISOString()}`;
    store.log(
      p.analyst.user,
      're-check by DNS',
      `group ${p.record.urlTag}: ${answer.resolves ? 'resolves' : 'does not resolve'}`,
    );
    return render(request, reply, p.record.urlTag, { recheck: `The host ${result}.` });
  });

  app.post('/triage/case/notice', csrf, async (request, reply) => {
    const p = posted(request, reply);
    if ('sent' in p) return p.sent;
    const kind = p.form.kind as NoticeKind;
    const language = p.form.language as NoticeLanguage;
    const recipient = (p.form.recipient ?? '').trim().slice(0, 300);
    if (!NOTICE_KINDS.includes(kind) || !NOTICE_LANGUAGES.includes(language) || recipient === '') {
      return render(
        request,
        reply,
        p.record.urlTag,
        { message: 'Choose a kind, a language and a recipient.' },
        400,
      );
    }
    if (!['assessed', 'notice_sent', 'referred'].includes(p.record.state)) {
      return render(
        request,
        reply,
        p.record.urlTag,
        { message: 'Confirm the URL first; a removed one needs no notice.' },
        409,
      );
    }
    const detail = store.groupReports(p.record.urlTag, 1);
    const latest = detail.recent[0];
    if (!latest)
      return render(request, reply, p.record.urlTag, { message: 'No report opens.' }, 409);
    const trace = p.record.trace && deps.traces ? deps.traces.openTrace(p.record.trace) : undefined;
    const classification = detail.states.find((s) => s.status === 'confirmed')?.classification;
    const document = draftNotice({
      kind,
      language,
      recipient,
      report: opened.open(latest.id, latest.summary),
      reports: p.record.reports,
      firstReceived: p.record.firstReceived ?? '',
      ...(classification ? { classification } : {}),
      unit: deps.unit,
      addresses: trace?.addresses.map((a) => a.ip) ?? [],
      ...(trace?.addresses[0]?.network ? { network: trace.addresses[0].network } : {}),
    });
    store.cases.recordNotice({
      urlTag: p.record.urlTag,
      kind,
      recipient,
      language,
      createdAt: new Date().toISOString(),
      createdBy: p.analyst.user,
      body: opened.index.seal(JSON.stringify(document)),
    });
    return back(reply, p.record.urlTag);
  });

  app.get('/triage/notice', async (request, reply) => {
    const analyst = signedIn(request, store);
    if (!analyst) return sendLogin(reply, 200);
    const query = request.query as Form;
    const notice = store.cases.notice(Number(query.id));
    if (!notice) return sendLogin(reply, 404, 'No such notice.');
    const document = JSON.parse(opened.index.open(notice.body)) as { text: string; xarf: object };
    store.log(
      analyst.user,
      'notice export',
      `notice ${notice.seq} (${query.format === 'xarf' ? 'XARF' : 'text'})`,
    );
    return query.format === 'xarf'
      ? reply
          .type('application/json; charset=utf-8')
          .header('content-disposition', `attachment; filename="notice-${notice.seq}.xarf.json"`)
          .send(`${JSON.stringify(document.xarf, null, 2)}\n`)
      : reply
          .type('text/plain; charset=utf-8')
          .header('content-disposition', `attachment; filename="notice-${notice.seq}.txt"`)
          .send(document.text);
  });

  app.post('/triage/case/removed', csrf, async (request, reply) => {
    const p = posted(request, reply);
    if ('sent' in p) return p.sent;
    if (!store.cases.markRemoved(p.record.urlTag, p.analyst.user, new Date().toISOString())) {
      return render(
        request,
        reply,
        p.record.urlTag,
        { message: 'Only a confirmed URL can be marked removed.' },
        409,
      );
    }
    return back(reply, p.record.urlTag);
  });

  app.post('/triage/case/hold', csrf, async (request, reply) => {
    const p = posted(request, reply);
    if ('sent' in p) return p.sent;
    if (!requireSupervisor(p.analyst))
      return sendLogin(reply, 403, 'Only a supervisor sets a legal hold.');
    store.cases.setLegalHold(
      p.record.urlTag,
      p.form.hold === '1',
      p.analyst.user,
      new Date().toISOString(),
    );
    return back(reply, p.record.urlTag);
  });

  app.get('/triage/stats', async (request, reply) => {
    const analyst = signedIn(request, store);
    if (!analyst) return sendLogin(reply, 200);
    const rows = store.cases.statsRows();
    const open = (summary: string) => opened.index.openReport(summary);
    const titles: Record<(typeof STATS_KEYS)[number], string> = {
      month: 'Reports by month',
      category: 'Reports by category',
      classification: 'Reports by CSAM classification',
      source: 'Reports by source',
      country: 'Reports by hosting country',
      state: 'Reports by state',
    };
    const charts = STATS_KEYS.map((key) => ({
      title: titles[key],
      result: statistics(rows, open, [key]),
    }));
    return reply
      .type('text/html; charset=utf-8')
      .send(statsPage(analyst, reply.generateCsrf(), charts));
  });
}
