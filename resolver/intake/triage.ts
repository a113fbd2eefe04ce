/** The analyst's routes: sign-in, the triage page, marking URL groups, sign-out. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CSAM_CLASSIFICATIONS, type CsamClassification } from '../../reporting/xarf.js';
import { groupReports } from './groups.js';
import { BodyTooLarge, mediaType, readBody, redirect, sendHtml } from './http.js';
import type { OpenedReports } from './opened.js';
import { DUMMY_HASH, verifyPassword } from './passwords.js';
import type { RateLimiter } from './rate-limit.js';
import {
  clearedCookie,
  csrfMatches,
  type Session,
  type Sessions,
  sessionCookie,
} from './sessions.js';
import { type IntakeStore, TRIAGE_STATES, type TriageState } from './store.js';
import { loginPage, triagePage } from './triage-page.js';

const MAX_FORM_BYTES = 8 * 1024;

export interface TriageDeps {
  store: IntakeStore;
  opened: OpenedReports;
  sessions: Sessions;
  loginLimiter: RateLimiter;
  /** Mark cookies Secure (when served over TLS, directly or behind a proxy). */
  secureCookies: boolean;
}

export async function handleTriage(
  request: IncomingMessage,
  response: ServerResponse,
  path: string,
  deps: TriageDeps,
): Promise<void> {
  const method = request.method ?? 'GET';
  if (method === 'POST' && !sameOrigin(request)) {
    return sendHtml(response, 403, loginPage('Cross-site request refused.'));
  }
  if (path === '/triage/login' && method === 'POST') return login(request, response, deps);
  const session = deps.sessions.fromCookie(request.headers.cookie);
  if (path === '/triage' && method === 'GET') {
    if (!session) return sendHtml(response, 200, loginPage());
    const { items, unreadable } = await deps.opened.all();
    return sendHtml(
      response,
      200,
      triagePage({
        user: session.user,
        csrf: session.csrf,
        groups: groupReports(items),
        unreadable,
        audit: deps.store.auditLog(),
      }),
    );
  }
  if (method !== 'POST' || (path !== '/triage/mark' && path !== '/triage/logout')) {
    return sendHtml(response, 404, loginPage('Not found.'));
  }
  if (!session) return redirect(response, '/triage');
  const form = await readForm(request, response);
  if (!form) return;
  if (!csrfMatches(session, form.get('csrf') ?? undefined)) {
    return sendHtml(
      response,
      403,
      loginPage('The form expired or did not come from this page; reload and try again.'),
    );
  }
  if (path === '/triage/logout') {
    deps.sessions.end(session);
    deps.store.log(session.user, 'sign out', '');
    return redirect(response, '/triage', { 'set-cookie': clearedCookie() });
  }
  return mark(form, session, response, deps);
}

async function login(request: IncomingMessage, response: ServerResponse, deps: TriageDeps) {
  const wait = deps.loginLimiter.take(request.socket.remoteAddress ?? 'unknown');
  if (wait > 0) {
    return sendHtml(response, 429, loginPage('Too many sign-in attempts; wait a minute.'), {
      'retry-after': String(Math.ceil(wait / 1000)),
    });
  }
  const form = await readForm(request, response);
  if (!form) return;
  const name = form.get('user') ?? '';
  const user = deps.store.user(name);
  const ok = await verifyPassword(form.get('password') ?? '', user?.passwordHash ?? DUMMY_HASH);
  if (!user || !ok) {
    deps.store.log(name.slice(0, 64) || '(empty)', 'sign-in failed', '');
    return sendHtml(response, 401, loginPage('Wrong user or password.'));
  }
  const session = deps.sessions.create(user.name);
  deps.store.log(user.name, 'sign in', '');
  return redirect(response, '/triage', {
    'set-cookie': sessionCookie(session, deps.secureCookies),
  });
}

async function mark(
  form: URLSearchParams,
  session: Session,
  response: ServerResponse,
  deps: TriageDeps,
) {
  const url = form.get('url') ?? '';
  const status = form.get('status') as TriageState | null;
  const rawClassification = form.get('classification') ?? '';
  if (!status || !TRIAGE_STATES.includes(status) || status === 'new') {
    return sendHtml(response, 400, loginPage('Unknown decision.'));
  }
  let classification: CsamClassification | undefined;
  if (rawClassification !== '') {
    if (!(CSAM_CLASSIFICATIONS as readonly string[]).includes(rawClassification)) {
      return sendHtml(response, 400, loginPage('Unknown classification.'));
    }
    // A CSAM classification only means something for a confirmed URL.
    if (status === 'confirmed') classification = rawClassification as CsamClassification;
  }
  const { items } = await deps.opened.all();
  const ids = items.filter((i) => i.report.url === url).map((i) => i.report.id);
  if (ids.length === 0) return sendHtml(response, 404, loginPage('No reports for that URL.'));
  deps.store.setStatus(ids, status, classification, session.user, new Date().toISOString());
  return redirect(response, '/triage');
}

async function readForm(request: IncomingMessage, response: ServerResponse) {
  if (mediaType(request) !== 'application/x-www-form-urlencoded') {
    sendHtml(response, 415, loginPage('Unsupported form.'));
    return undefined;
  }
  try {
    return new URLSearchParams((await readBody(request, MAX_FORM_BYTES)).toString('utf8'));
  } catch (error) {
    if (!(error instanceof BodyTooLarge)) throw error;
    sendHtml(response, 413, loginPage('Form too large.'));
    return undefined;
  }
}

/** Browsers send Origin on POST; when present it must name this server. */
function sameOrigin(request: IncomingMessage): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === request.headers.host;
  } catch {
    return false;
  }
}
