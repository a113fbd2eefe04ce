/** The analysts' report routes: the paged triage page, decisions on URL groups, a supervisor's undo. */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CSAM_CLASSIFICATIONS, type CsamClassification } from '../../reporting/xarf.js';
import { triagePageData } from './groups.js';
import type { OpenedReports } from './opened.js';
import { type Analyst, requireSupervisor, sendLogin, signedIn } from './signin.js';
import { TRIAGE_STATES, type TriageState } from './states.js';
import type { IntakeStore } from './store.js';
import { triagePage } from './triage-page.js';

export interface TriageDeps {
  store: IntakeStore;
  opened: OpenedReports;
}

type Form = Record<string, string | undefined>;

export async function triageRoutes(app: FastifyInstance, deps: TriageDeps): Promise<void> {
  const show = async (request: FastifyRequest, reply: FastifyReply) => {
    const analyst = signedIn(request, deps.store);
    if (!analyst) return sendLogin(reply, 200);
    const query = request.query as Form;
    const pageNumber = Number(query.page ?? 1);
    const triageQuery = {
      page: Number.isSafeInteger(pageNumber) && pageNumber >= 1 ? pageNumber : 1,
      search: (query.q ?? '').slice(0, 2048),
      onlyNew: query.new === '1',
    };
    return reply.type('text/html; charset=utf-8').send(
      triagePage({
        analyst,
        csrf: reply.generateCsrf(),
        data: triagePageData(deps.store, deps.opened, triageQuery),
        query: triageQuery,
        reports: deps.store.count(),
        unreadable: deps.opened.unreadable(),
        audit: deps.store.auditLog(),
        failedSignIns: deps.store.failedSignIns(),
      }),
    );
  };
  app.get('/', show);
  app.get('/triage', show);

  app.post('/triage/mark', { preHandler: app.csrfProtection }, async (request, reply) => {
    const analyst = signedIn(request, deps.store);
    if (!analyst) return reply.redirect('/triage', 303);
    const form = request.body as Form;
    const status = form.status as TriageState | undefined;
    if (!status || !TRIAGE_STATES.includes(status) || status === 'new') {
      return sendLogin(reply, 400, 'Unknown decision.');
    }
    const raw = form.classification ?? '';
    if (raw !== '' && !(CSAM_CLASSIFICATIONS as readonly string[]).includes(raw)) {
      return sendLogin(reply, 400, 'Unknown classification.');
    }
    // A CSAM classification only means something for a confirmed URL.
    const classification =
      raw !== '' && status === 'confirmed' ? (raw as CsamClassification) : undefined;
    return decide(reply, deps, analyst, form, status, classification, `mark ${status}`);
  });

  app.post('/triage/undo', { preHandler: app.csrfProtection }, async (request, reply) => {
    const analyst = signedIn(request, deps.store);
    if (!requireSupervisor(analyst)) return sendLogin(reply, 403, 'Only a supervisor can undo.');
    return decide(reply, deps, analyst, request.body as Form, 'new', undefined, 'undo decision');
  });
}

/** Applies to the reports the analyst saw (the group's, up to the one the page showed last). */
function decide(
  reply: FastifyReply,
  deps: TriageDeps,
  analyst: Analyst,
  form: Form,
  status: TriageState,
  classification: CsamClassification | undefined,
  action: string,
) {
  const through = Number(form.through);
  if (!form.group || !Number.isSafeInteger(through)) {
    return sendLogin(reply, 400, 'The form does not name the reports; reload the page.');
  }
  const ids = deps.store.decide(
    form.group,
    through,
    status,
    classification,
    analyst.user,
    new Date().toISOString(),
    action,
  );
  if (ids.length === 0) return sendLogin(reply, 404, 'No reports for that URL.');
  return reply.redirect(refererPath(reply), 303);
}

/** Back to the page (and search) the decision was made on; only a path on this server. */
function refererPath(reply: FastifyReply): string {
  try {
    const url = new URL(reply.request.headers.referer ?? '');
    const same = url.host === reply.request.headers.host && url.pathname === '/triage';
    return same ? `${url.pathname}${url.search}` : '/triage';
  } catch {
    return '/triage';
  }
}
