/**
 * The unit's intake as a Fastify application: the reports endpoint for devices and the triage
 * pages for analysts, with the framework's own plugins for what is security-critical: helmet
 * (headers), cookie + session, CSRF tokens, rate limits; `trustProxy` so limits and the audit see
 * the real client behind the unit's TLS proxy. Node's HTTP timeouts are tight: a client that
 * sends its request slowly is cut off within seconds, not held.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import fastifyCookie from '@fastify/cookie';
import fastifyCsrf from '@fastify/csrf-protection';
import fastifyFormbody from '@fastify/formbody';
import fastifyHelmet from '@fastify/helmet';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifySession from '@fastify/session';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import type { XarfParty } from '../../reporting/xarf.js';
import { caseRoutes } from './case.js';
import { createIntakeMetrics } from './metrics.js';
import type { Hotlines } from './notice.js';
import { OpenedReports } from './opened.js';
import { DEFAULT_REPORT_QUOTAS, type ReportQuotas } from './quotas.js';
import {
  MAX_REPORT_BYTES,
  MAX_STORED_BYTES,
  MAX_STORED_REPORT_BYTES,
  receiveRoutes,
} from './receive.js';
import type { Retention } from './retention.js';
import {
  DEFAULT_SIGN_IN_LIMITS,
  IDLE_MS,
  SESSION_COOKIE,
  type SignInLimits,
  signInRoutes,
} from './signin.js';
import type { IntakeStore } from './store.js';
import { supervisorRoutes } from './supervisor.js';
import { HostResolver } from './trace/dns.js';
import { IpDatabases } from './trace/ip-data.js';
import { RdapClient } from './trace/rdap.js';
import { TraceService } from './trace/service.js';
import { Tracer } from './trace/tracer.js';
import { triageRoutes } from './triage.js';
import { loginPage } from './triage-page.js';

export interface IntakeOptions {
  store: IntakeStore;
  secretKey: Uint8Array;
  quotas?: ReportQuotas;
  signInLimits?: SignInLimits;
  maxReportBytes?: number;
  maxStoredReportBytes?: number;
  maxStoredBytes?: number;
  /** Secure cookies (the default); false only for a test on plain HTTP. */
  secureCookies?: boolean;
  /** Addresses or CIDRs of the unit's proxies, whose X-Forwarded-For/-Proto are believed. */
  trustProxy?: string[];
  /** The unit, named in notices and XARF. */
  unit: XarfParty;
  /** Where the unit is: hosts there get a notice, others a referral. */
  unitCountry?: string;
  /** MMDB files (IP to country / network) and RDAP bootstrap files: tracing is on with either. */
  ipDatabases?: string[];
  rdapBootstrap?: string[];
  /** The resolver for tracing and re-checks (`HOST[:PORT]`); none: the system's. */
  dnsServers?: string[];
  hotlines: Hotlines;
  /** Days kept per workflow state (shown to supervisors; "Purge now" applies it). */
  retention?: Retention;
}

/** Node's HTTP timeouts, checked every second (Node's default check is every 30 s). */
export const HTTP_TIMEOUTS = {
  headersTimeout: 5_000,
  requestTimeout: 10_000,
  keepAliveTimeout: 5_000,
  connectionsCheckingInterval: 1_000,
};

const MAX_FORM_BYTES = 8 * 1024;

export async function createIntakeApp(
  options: IntakeOptions,
): Promise<{ app: FastifyInstance; opened: OpenedReports }> {
  const { store } = options;
  const opened = new OpenedReports(store, options.secretKey);
  const maxStoredBytes = options.maxStoredBytes ?? MAX_STORED_BYTES;
  const metrics = createIntakeMetrics(store, opened, maxStoredBytes);
  const secureCookies = options.secureCookies ?? true;
  const dns = new HostResolver(options.dnsServers ?? []);
  const tracing = (options.ipDatabases?.length ?? 0) + (options.rdapBootstrap?.length ?? 0) > 0;
  const traces = tracing
    ? new TraceService(
        new Tracer(
          dns,
          new IpDatabases(options.ipDatabases ?? []),
          new RdapClient(options.rdapBootstrap ?? [], store.cases.rdapCache),
        ),
        store,
        opened.index,
      )
    : undefined;
  const app = Fastify({
    trustProxy: options.trustProxy?.length ? options.trustProxy : false,
    bodyLimit: MAX_FORM_BYTES,
    requestTimeout: HTTP_TIMEOUTS.requestTimeout,
    keepAliveTimeout: HTTP_TIMEOUTS.keepAliveTimeout,
    connectionTimeout: HTTP_TIMEOUTS.requestTimeout + 5_000,
    serverFactory: (handler) => createServer(HTTP_TIMEOUTS, handler),
  });
  await app.register(fastifyHelmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'none'"],
        styleSrc: ["'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
      },
    },
    frameguard: { action: 'deny' },
    // same-origin, not no-referrer: with no-referrer browsers send `Origin: null` on our own forms.
    referrerPolicy: { policy: 'same-origin' },
    hsts: secureCookies,
  });
  app.addHook('onSend', async (_request, reply) => {
    reply.header('cache-control', 'no-store');
  });
  await app.register(fastifyCookie);
  await app.register(fastifySession, {
    // Sessions live in this process only, so the key does too.
    secret: randomBytes(32).toString('hex'),
    cookieName: SESSION_COOKIE,
    saveUninitialized: false,
    rolling: true,
    cookie: {
      path: '/',
      httpOnly: true,
      sameSite: 'strict',
      secure: secureCookies,
      maxAge: IDLE_MS,
    },
  });
  await app.register(fastifyCsrf, {
    sessionPlugin: '@fastify/session',
    getToken: (request) => (request.body as Record<string, string> | undefined)?.csrf,
  });
  await app.register(fastifyRateLimit, { global: false });

  await app.register(async (scope) =>
    receiveRoutes(scope, {
      store,
      opened,
      secretKey: options.secretKey,
      metrics,
      quotas: options.quotas ?? DEFAULT_REPORT_QUOTAS,
      maxBytes: options.maxReportBytes ?? MAX_REPORT_BYTES,
      maxStoredReportBytes: options.maxStoredReportBytes ?? MAX_STORED_REPORT_BYTES,
      maxStoredBytes,
      onStored: (report) => traces?.enqueue(new URL(report.url).hostname),
    }),
  );

  await app.register(async (pages) => {
    await pages.register(fastifyFormbody, { bodyLimit: MAX_FORM_BYTES });
    pages.addHook('onRequest', async (request, reply) => {
      if (request.method === 'POST' && !sameOrigin(request.headers.origin, request.headers.host)) {
        return htmlError(reply, 403, 'Cross-site request refused.');
      }
    });
    pages.setErrorHandler(
      (error: Error & { statusCode?: number; code?: string }, request, reply) => {
        if (error.code?.startsWith('FST_CSRF')) {
          return htmlError(
            reply,
            403,
            'The form expired or did not come from this page; reload and try again.',
          );
        }
        const status = error.statusCode ?? 500;
        if (status >= 500) request.log.error(error);
        const message =
          status === 413
            ? 'Form too large.'
            : status === 415
              ? 'Unsupported form.'
              : status < 500
                ? error.message
                : 'Internal error.';
        return htmlError(reply, status, message);
      },
    );
    await signInRoutes(pages, {
      store,
      limits: options.signInLimits ?? DEFAULT_SIGN_IN_LIMITS,
      secureCookies,
    });
    await triageRoutes(pages, { store, opened });
    await supervisorRoutes(pages, { store, retention: options.retention ?? {} });
    await caseRoutes(pages, {
      store,
      opened,
      dns,
      ...(traces ? { traces } : {}),
      hotlines: options.hotlines,
      unitCountry: options.unitCountry ?? 'KG',
      unit: options.unit,
    });
    pages.post('/triage/logout', { preHandler: pages.csrfProtection }, async (request, reply) => {
      const user = request.session.user;
      await request.session.destroy();
      if (user) store.log(user, 'sign out', '');
      return reply.redirect('/triage', 303);
    });
  });

  app.get('/healthz', async () => ({ ok: true, reports: store.count() }));
  app.get('/metrics', async (_request, reply) =>
    reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  );
  app.setNotFoundHandler((_request, reply) => reply.code(404).send({ error: 'not found' }));
  return { app, opened };
}

function htmlError(reply: FastifyReply, status: number, message: string) {
  return reply.code(status).type('text/html; charset=utf-8').send(loginPage(message));
}

/** Browsers send Origin on POST; when present it must name this server. */
function sameOrigin(origin: string | undefined, host: string | undefined): boolean {
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}
