/** The unit's intake server: the reports endpoint for devices and the triage pages for analysts. */
import { createServer, type Server } from 'node:http';
import { sendJson } from './http.js';
import { OpenedReports } from './opened.js';
import { RateLimiter } from './rate-limit.js';
import { MAX_REPORT_BYTES, receiveReport } from './receive.js';
import { Sessions } from './sessions.js';
import type { IntakeStore } from './store.js';
import { handleTriage } from './triage.js';

export interface IntakeOptions {
  store: IntakeStore;
  secretKey: Uint8Array;
  /** Reports per minute per client address (with a burst of the same size). */
  reportsPerMinute?: number;
  maxReportBytes?: number;
  secureCookies?: boolean;
}

export function createIntakeServer(options: IntakeOptions): {
  server: Server;
  opened: OpenedReports;
} {
  const opened = new OpenedReports(options.store, options.secretKey);
  const perMinute = options.reportsPerMinute ?? 60;
  const receiveDeps = {
    store: options.store,
    opened,
    secretKey: options.secretKey,
    limiter: new RateLimiter(perMinute, perMinute),
    maxBytes: options.maxReportBytes ?? MAX_REPORT_BYTES,
  };
  const triageDeps = {
    store: options.store,
    opened,
    sessions: new Sessions(),
    loginLimiter: new RateLimiter(10, 10),
    secureCookies: options.secureCookies ?? false,
  };
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://intake.invalid').pathname;
    const handled =
      path === '/v1/reports'
        ? request.method === 'POST'
          ? receiveReport(request, response, receiveDeps)
          : Promise.resolve(sendJson(response, 405, { error: 'use POST' }, { allow: 'POST' }))
        : path === '/healthz'
          ? Promise.resolve(sendJson(response, 200, { ok: true, reports: options.store.count() }))
          : path === '/' || path.startsWith('/triage')
            ? handleTriage(request, response, path === '/' ? '/triage' : path, triageDeps)
            : Promise.resolve(sendJson(response, 404, { error: 'not found' }));
    handled.catch((error: unknown) => {
      console.error(`intake: ${request.method} ${path}: ${(error as Error).message}`);
      if (!response.headersSent) sendJson(response, 500, { error: 'internal error' });
      else response.destroy();
    });
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  return { server, opened };
}
