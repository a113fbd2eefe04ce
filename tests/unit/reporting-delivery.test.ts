import { describe, expect, it } from 'vitest';
import {
  backoffDelay,
  classifyStatus,
  deliverDue,
  postSealedReport,
  reportsEndpoint,
} from '../../reporting/delivery.js';
import { MemoryOutboxStorage, Outbox } from '../../reporting/outbox.js';
import type { SealedReport } from '../../reporting/seal.js';

const sealed: SealedReport = {
  v: 1,
  id: '00000000-0000-4000-8000-000000000001',
  enc: 'AA',
  ct: 'BB',
};
const meta = { category: 'csem' as const, createdAt: '2026-01-01T00:00:00.000Z' };

/** A scripted fetch: each call takes the next answer (a status, or an Error to throw). */
function scriptedFetch(answers: (number | Error | Response)[]) {
  const calls: { url: string; init: RequestInit }[] = [];
  const fetchFn = (async (url: string, init: RequestInit) => {
    calls.push({ url, init });
    const next = answers.shift();
    if (next === undefined) throw new Error('no more answers');
    if (next instanceof Error) throw next;
    if (next instanceof Response) return next;
    return new Response(JSON.stringify({ error: `status ${next}` }), { status: next });
  }) as unknown as typeof fetch;
  return { fetchFn, calls };
}

describe('backoff with full jitter', () => {
  const policy = { baseMs: 1000, maxMs: 60_000 };

  it('doubles the cap per attempt up to the maximum', () => {
    const top = (attempt: number) => backoffDelay(attempt, policy, () => 0.999999);
    expect(top(1)).toBe(999);
    expect(top(2)).toBe(1999);
    expect(top(3)).toBe(3999);
    expect(top(7)).toBe(59_999);
    expect(top(60)).toBe(59_999);
    expect(backoffDelay(5, policy, () => 0)).toBe(0);
  });

  it('spreads delays uniformly over [0, cap)', () => {
    const samples = Array.from({ length: 4000 }, () => backoffDelay(4, policy, Math.random));
    const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
    expect(Math.min(...samples)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...samples)).toBeLessThan(8000);
    // Uniform on [0, 8000): mean 4000; "equal jitter" would give 6000, no jitter 8000.
    expect(mean).toBeGreaterThan(3600);
    expect(mean).toBeLessThan(4400);
    expect(samples.filter((s) => s < 2000).length).toBeGreaterThan(800);
  });
});

describe('answers', () => {
  it.each([
    [200, 'delivered'],
    [201, 'delivered'],
    [408, 'retry'],
    [429, 'retry'],
    [500, 'retry'],
    [503, 'retry'],
    [400, 'failed'],
    [409, 'failed'],
    [413, 'failed'],
    [415, 'failed'],
    [422, 'failed'],
  ])('%i is %s', (status, kind) => {
    expect(classifyStatus(status)).toBe(kind);
  });

  it('joins the endpoint under a base path', () => {
    expect(reportsEndpoint('http://127.0.0.1:9/')).toBe('http://127.0.0.1:9/v1/reports');
    expect(reportsEndpoint('https://unit.example/kalkan')).toBe(
      'https://unit.example/kalkan/v1/reports',
    );
  });

  it('posts JSON with the id as Idempotency-Key', async () => {
    const { fetchFn, calls } = scriptedFetch([201]);
    const result = await postSealedReport(sealed, {
      intakeUrl: 'http://127.0.0.1:9',
      fetch: fetchFn,
    });
    expect(result).toEqual({ outcome: 'delivered', status: 201 });
    const headers = calls[0]?.init.headers as Record<string, string>;
    expect(headers['idempotency-key']).toBe(sealed.id);
    expect(headers['content-type']).toBe('application/json');
    expect(JSON.parse(calls[0]?.init.body as string)).toEqual(sealed);
  });

  it('honours Retry-After and keeps the intake message', async () => {
    const { fetchFn } = scriptedFetch([
      new Response('{"error":"slow down"}', { status: 429, headers: { 'retry-after': '30' } }),
    ]);
    const result = await postSealedReport(sealed, {
      intakeUrl: 'http://x.invalid',
      fetch: fetchFn,
    });
    expect(result).toEqual({
      outcome: 'retry',
      status: 429,
      error: 'HTTP 429: slow down',
      retryAfterMs: 30_000,
    });
  });
});

describe('deliverDue', () => {
  it('retries network errors and 5xx with growing delays, then delivers', async () => {
    const outbox = new Outbox(new MemoryOutboxStorage());
    await outbox.enqueue(sealed, meta, 0);
    const { fetchFn, calls } = scriptedFetch([new TypeError('fetch failed'), 503, 201]);
    let now = 0;
    const options = {
      intakeUrl: 'http://127.0.0.1:9',
      fetch: fetchFn,
      now: () => now,
      random: () => 0.5,
      backoff: { baseMs: 1000, maxMs: 100_000 },
    };
    let summary = await deliverDue(outbox, options);
    expect(summary).toMatchObject({ retried: 1 });
    expect(summary.entries[0]).toMatchObject({ state: 'queued', attempts: 1, nextAttemptAt: 500 });
    expect(summary.entries[0]?.lastError).toContain('network');
    now = 499;
    expect((await deliverDue(outbox, options)).entries).toHaveLength(0);
    now = 500;
    summary = await deliverDue(outbox, options);
    expect(summary.entries[0]).toMatchObject({ attempts: 2, nextAttemptAt: 1500, lastStatus: 503 });
    now = 1500;
    summary = await deliverDue(outbox, options);
    expect(summary.entries[0]).toMatchObject({ state: 'delivered', attempts: 3, lastStatus: 201 });
    expect(calls).toHaveLength(3);
  });

  it('marks a 4xx failed and does not retry it', async () => {
    const outbox = new Outbox(new MemoryOutboxStorage());
    await outbox.enqueue(sealed, meta, 0);
    const { fetchFn, calls } = scriptedFetch([422]);
    const options = { intakeUrl: 'http://127.0.0.1:9', fetch: fetchFn, now: () => 0 };
    const summary = await deliverDue(outbox, options);
    expect(summary.entries[0]).toMatchObject({
      state: 'failed',
      lastStatus: 422,
      lastError: 'HTTP 422: status 422',
    });
    await deliverDue(outbox, { ...options, force: true });
    expect(calls).toHaveLength(1);
  });
});
