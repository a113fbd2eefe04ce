/**
 * `POST /v1/reports`: the one endpoint reporting devices talk to. Checks are ordered cheapest
 * first: quotas (per address, per IPv6 /64, for everyone; before the body is read), type, size,
 * JSON, envelope, idempotency, room left in the store; a report is stored only after it has
 * opened with the unit's key and validated, and answered 201 only after its row is committed.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { SEALED_CONTENT_TYPE } from '../../reporting/delivery.js';
import { type Report, ReportError } from '../../reporting/schema.js';
import { OpenError, openReport, parseSealedReport } from '../../reporting/seal.js';
import { limitHook } from './limits.js';
import type { IntakeMetrics, RefusalReason } from './metrics.js';
import type { OpenedReports } from './opened.js';
import { net64, type ReportQuotas } from './quotas.js';
import type { IntakeStore } from './store.js';

export const MAX_REPORT_BYTES = 16 * 1024;
/** Far more than a valid report seals to (URL 2 KiB, note and contact), far less than the body limit. */
export const MAX_STORED_REPORT_BYTES = 8 * 1024;
export const MAX_STORED_BYTES = 1024 ** 3;

export interface ReceiveDeps {
  store: IntakeStore;
  opened: OpenedReports;
  secretKey: Uint8Array;
  metrics: IntakeMetrics;
  quotas: ReportQuotas;
  maxBytes: number;
  maxStoredReportBytes: number;
  maxStoredBytes: number;
  /** Called after a new report is committed (e.g. to trace its host in the background). */
  onStored?: (report: Report) => void;
}

export async function receiveRoutes(app: FastifyInstance, deps: ReceiveDeps): Promise<void> {
  const quota = (
    reason: RefusalReason,
    perMinute: number,
    key: (request: FastifyRequest) => string,
    what: string,
  ) =>
    limitHook(app, {
      max: perMinute,
      windowMs: 60_000,
      key,
      message: (seconds) => `too many reports ${what}; retry in ${seconds} s`,
      onExceeded: () => deps.metrics.refused(reason),
    });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    SEALED_CONTENT_TYPE,
    { parseAs: 'buffer', bodyLimit: deps.maxBytes },
    (_request, body, done) => done(null, body),
  );
  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, request, reply) => {
    const status = error.statusCode ?? 500;
    const message =
      error.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
        ? `body larger than ${deps.maxBytes} bytes`
        : error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
          ? `content-type must be ${SEALED_CONTENT_TYPE}`
          : status < 500
            ? error.message
            : 'internal error';
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') deps.metrics.refused('too_large');
    if (status >= 500) request.log.error(error);
    // Close the connection after a refusal, so an unread body is not left on it.
    return reply.code(status).header('connection', 'close').send({ error: message });
  });
  app.post(
    '/v1/reports',
    {
      onRequest: [
        quota('rate_address', deps.quotas.perAddress.perMinute, (r) => r.ip, 'from this address'),
        quota(
          'rate_net64',
          deps.quotas.perNet64.perMinute,
          (r) => net64(r.ip),
          'from this network',
        ),
        quota(
          'rate_global',
          deps.quotas.global.perMinute,
          () => 'all',
          'at once; the intake is busy',
        ),
      ],
    },
    (request, reply) => receive(request, reply, deps),
  );
  app.route({
    method: ['GET', 'HEAD', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'],
    url: '/v1/reports',
    handler: (_request, reply) =>
      reply.code(405).header('allow', 'POST').send({ error: 'use POST' }),
  });
}

async function receive(request: FastifyRequest, reply: FastifyReply, deps: ReceiveDeps) {
  const fail = (status: number, error: string, reason: RefusalReason = 'invalid') => {
    deps.metrics.refused(reason);
    return reply.code(status).header('connection', 'close').send({ error });
  };
  let json: unknown;
  try {
    json = JSON.parse((request.body as Buffer).toString('utf8'));
  } catch {
    return fail(400, 'malformed JSON');
  }
  let sealed: ReturnType<typeof parseSealedReport>;
  try {
    sealed = parseSealedReport(json);
  } catch (error) {
    if (error instanceof ReportError) return fail(400, error.message);
    throw error;
  }
  if (request.headers['idempotency-key'] !== sealed.id) {
    return fail(400, 'Idempotency-Key: must be present and equal the report id');
  }
  const known = deps.store.existing(sealed);
  if (known === 'same') return reply.code(200).send({ id: sealed.id, status: 'already received' });
  if (known === 'conflict')
    return fail(409, 'id: a different report with this id was received before');
  const size = Buffer.byteLength(JSON.stringify(sealed));
  if (size > deps.maxStoredReportBytes) {
    return fail(
      413,
      `sealed report: ${size} bytes, more than a valid report needs (${deps.maxStoredReportBytes})`,
      'too_large',
    );
  }
  if (deps.store.storedBytes() + size > deps.maxStoredBytes) {
    request.log.warn(
      `intake: store full (${deps.store.storedBytes()} of ${deps.maxStoredBytes} bytes)`,
    );
    return fail(507, 'the intake has no room for more reports now; retry later', 'store_full');
  }
  try {
    const report = await openReport(sealed, deps.secretKey);
    const receivedAt = new Date().toISOString();
    const result = deps.store.insert(
      sealed,
      receivedAt,
      deps.opened.index.entry(report, receivedAt),
    );
    if (result === 'conflict')
      return fail(409, 'id: a different report with this id was received before');
    if (result === 'stored') {
      deps.metrics.stored();
      deps.onStored?.(report);
    }
    deps.opened.remember(report);
    return reply.code(result === 'stored' ? 201 : 200).send({
      id: sealed.id,
      status: result === 'stored' ? 'stored' : 'already received',
    });
  } catch (error) {
    if (error instanceof OpenError) return fail(422, error.message);
    if (error instanceof ReportError) return fail(422, `sealed report: ${error.message}`);
    throw error;
  }
}
