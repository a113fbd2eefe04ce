/**
 * Delivery of sealed reports to the intake: `POST {intake}/v1/reports` with the report id as
 * `Idempotency-Key`. 2xx is delivered; 408, 429, 5xx and network errors are retried with
 * exponential backoff and full jitter; any other answer is final (failed, kept, shown).
 */
import type { Outbox, OutboxEntry } from './outbox.js';
import type { SealedReport } from './seal.js';

export const REPORTS_PATH = 'v1/reports';
export const SEALED_CONTENT_TYPE = 'application/json';

export type AttemptResult =
  | { outcome: 'delivered'; status: number }
  | { outcome: 'retry'; status?: number; error: string; retryAfterMs?: number }
  | { outcome: 'failed'; status: number; error: string };

export interface BackoffPolicy {
  /** Delay cap for the first retry; doubles each attempt. */
  baseMs: number;
  /** Largest delay. */
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 5_000, maxMs: 3_600_000 };

/** "Full jitter": uniform in [0, min(max, base·2^(attempt-1))), attempt counted from 1. */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number): number {
  const exponent = Math.min(Math.max(attempt - 1, 0), 40);
  const cap = Math.min(policy.maxMs, policy.baseMs * 2 ** exponent);
  return Math.floor(random() * cap);
}

export function classifyStatus(status: number): 'delivered' | 'retry' | 'failed' {
  if (status >= 200 && status < 300) return 'delivered';
  if (status === 408 || status === 429 || status >= 500) return 'retry';
  return 'failed';
}

export function reportsEndpoint(intakeUrl: string): string {
  const base = intakeUrl.endsWith('/') ? intakeUrl : `${intakeUrl}/`;
  return new URL(REPORTS_PATH, base).href;
}

export interface PostOptions {
  intakeUrl: string;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

/** One attempt; never throws. */
export async function postSealedReport(
  sealed: SealedReport,
  options: PostOptions,
): Promise<AttemptResult> {
  const doFetch = options.fetch ?? fetch;
  let response: Response;
  try {
    response = await doFetch(reportsEndpoint(options.intakeUrl), {
      method: 'POST',
      headers: { 'content-type': SEALED_CONTENT_TYPE, 'idempotency-key': sealed.id },
      body: JSON.stringify(sealed),
      signal: AbortSignal.timeout(options.timeoutMs ?? 15_000),
      credentials: 'omit',
      referrerPolicy: 'no-referrer',
    });
  } catch (error) {
    // Node's fetch hides the reason (ECONNREFUSED, ENOTFOUND…) in `cause`.
    const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
    const detail = cause?.code ?? cause?.message;
    const reason = typeof detail === 'string' ? ` (${detail})` : '';
    return { outcome: 'retry', error: `network: ${(error as Error).message}${reason}` };
  }
  const status = response.status;
  const kind = classifyStatus(status);
  if (kind === 'delivered') {
    await response.body?.cancel();
    return { outcome: 'delivered', status };
  }
  const error = `HTTP ${status}: ${await errorText(response)}`;
  if (kind === 'failed') return { outcome: 'failed', status, error };
  const retryAfterMs = retryAfter(response.headers.get('retry-after'));
  return {
    outcome: 'retry',
    status,
    error,
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  };
}

async function errorText(response: Response): Promise<string> {
  const text = (await response.text().catch(() => '')).slice(0, 300);
  try {
    const body = JSON.parse(text) as { error?: unknown };
    if (typeof body.error === 'string') return body.error;
  } catch {
    // not JSON: the text itself
  }
  return text || response.statusText;
}

function retryAfter(header: string | null): number | undefined {
  if (header === null || !/^\d+$/.test(header.trim())) return undefined;
  return Math.min(Number(header) * 1000, 86_400_000);
}

export interface DeliveryOptions extends PostOptions {
  backoff?: BackoffPolicy;
  random?: () => number;
  now?: () => number;
  /** Attempt every queued entry now, ignoring backoff (an explicit "flush"). */
  force?: boolean;
}

export interface DeliverySummary {
  delivered: number;
  retried: number;
  failed: number;
  entries: OutboxEntry[];
}

/** One pass over the due entries, one at a time (the intake rate-limits per address). */
export async function deliverDue(
  outbox: Outbox,
  options: DeliveryOptions,
): Promise<DeliverySummary> {
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const policy = options.backoff ?? DEFAULT_BACKOFF;
  const summary: DeliverySummary = { delivered: 0, retried: 0, failed: 0, entries: [] };
  for (const entry of await outbox.due(now(), options.force)) {
    const result = await postSealedReport(entry.sealed, {
      ...options,
      intakeUrl: entry.intakeUrl ?? options.intakeUrl,
    });
    let updated: OutboxEntry;
    if (result.outcome === 'delivered') {
      updated = await outbox.markDelivered(entry.id, result.status, now());
      summary.delivered++;
    } else if (result.outcome === 'failed') {
      updated = await outbox.markFailed(entry.id, result);
      summary.failed++;
    } else {
      const delay = Math.max(
        backoffDelay(entry.attempts + 1, policy, random),
        result.retryAfterMs ?? 0,
      );
      updated = await outbox.markRetry(entry.id, result, now() + delay);
      summary.retried++;
    }
    summary.entries.push(updated);
  }
  return summary;
}
