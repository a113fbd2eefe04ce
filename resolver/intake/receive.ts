/**
 * `POST /v1/reports`: the one endpoint reporting devices talk to. Checks are ordered cheapest
 * first (rate, type, size, JSON, envelope, idempotency) and a report is stored only after it has
 * opened with the unit's key and validated, so nothing is stored for a bad request. The answer
 * 201 is sent only after the row is committed.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SEALED_CONTENT_TYPE } from '../../reporting/delivery.js';
import { ReportError } from '../../reporting/schema.js';
import {
  OpenError,
  openReport,
  parseSealedReport,
  type SealedReport,
} from '../../reporting/seal.js';
import { BodyTooLarge, mediaType, readBody, sendJson } from './http.js';
import type { OpenedReports } from './opened.js';
import type { RateLimiter } from './rate-limit.js';
import type { IntakeStore } from './store.js';

export const MAX_REPORT_BYTES = 16 * 1024;

export interface ReceiveDeps {
  store: IntakeStore;
  opened: OpenedReports;
  secretKey: Uint8Array;
  limiter: RateLimiter;
  maxBytes: number;
}

export async function receiveReport(
  request: IncomingMessage,
  response: ServerResponse,
  deps: ReceiveDeps,
): Promise<void> {
  const fail = (status: number, error: string, headers?: Record<string, string>) => {
    // Close the connection after a refusal, so an unread body is not left on it.
    sendJson(response, status, { error }, { connection: 'close', ...headers });
  };
  const wait = deps.limiter.take(request.socket.remoteAddress ?? 'unknown');
  if (wait > 0) {
    return fail(429, 'too many reports from this address; retry later', {
      'retry-after': String(Math.ceil(wait / 1000)),
    });
  }
  if (mediaType(request) !== SEALED_CONTENT_TYPE) {
    return fail(415, `content-type must be ${SEALED_CONTENT_TYPE}`);
  }
  let body: Buffer;
  try {
    body = await readBody(request, deps.maxBytes);
  } catch (error) {
    if (error instanceof BodyTooLarge) return fail(413, `body larger than ${deps.maxBytes} bytes`);
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    return fail(400, 'malformed JSON');
  }
  let sealed: SealedReport;
  try {
    sealed = parseSealedReport(json);
  } catch (error) {
    if (error instanceof ReportError) return fail(400, error.message);
    throw error;
  }
  const key = request.headers['idempotency-key'];
  if (key !== sealed.id) {
    return fail(400, 'Idempotency-Key: must be present and equal the report id');
  }
  const known = deps.store.existing(sealed);
  if (known === 'same')
    return sendJson(response, 200, { id: sealed.id, status: 'already received' });
  if (known === 'conflict')
    return fail(409, 'id: a different report with this id was received before');
  try {
    const report = await openReport(sealed, deps.secretKey);
    const result = deps.store.insert(sealed, new Date().toISOString());
    if (result === 'conflict')
      return fail(409, 'id: a different report with this id was received before');
    deps.opened.remember(report);
    sendJson(response, result === 'stored' ? 201 : 200, {
      id: sealed.id,
      status: result === 'stored' ? 'stored' : 'already received',
    });
  } catch (error) {
    if (error instanceof OpenError) return fail(422, error.message);
    if (error instanceof ReportError) return fail(422, `sealed report: ${error.message}`);
    throw error;
  }
}
