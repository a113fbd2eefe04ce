import { describe, expect, it } from 'vitest';
import { MemoryOutboxStorage, Outbox, OutboxStateError } from '../../reporting/outbox.js';
import type { SealedReport } from '../../reporting/seal.js';

const sealed = (n: number): SealedReport => ({
  v: 1,
  id: `00000000-0000-4000-8000-00000000000${n}`,
  enc: 'AA',
  ct: 'BB',
});
const meta = { category: 'csem' as const, createdAt: '2026-01-01T00:00:00.000Z' };

describe('outbox state machine', () => {
  it('queues, retries with a next attempt time, then delivers', async () => {
    const outbox = new Outbox(new MemoryOutboxStorage());
    const entry = await outbox.enqueue(sealed(1), meta, 1000);
    expect(entry).toMatchObject({ state: 'queued', attempts: 0, nextAttemptAt: 1000 });
    await outbox.markRetry(entry.id, { error: 'network: refused' }, 5000);
    expect(await outbox.due(4999)).toHaveLength(0);
    expect(await outbox.due(4999, true)).toHaveLength(1);
    expect(await outbox.due(5000)).toHaveLength(1);
    expect(await outbox.nextAttemptAt()).toBe(5000);
    const done = await outbox.markDelivered(entry.id, 201, 6000);
    expect(done).toMatchObject({ state: 'delivered', attempts: 2, lastStatus: 201 });
    expect(done).not.toHaveProperty('lastError');
    expect(await outbox.nextAttemptAt()).toBeUndefined();
  });

  it('enqueueing the same id twice keeps one entry', async () => {
    const outbox = new Outbox(new MemoryOutboxStorage());
    await outbox.enqueue(sealed(1), meta, 1);
    await outbox.markRetry(sealed(1).id, { error: 'x' }, 10);
    const again = await outbox.enqueue(sealed(1), meta, 2);
    expect(again.attempts).toBe(1);
    expect(await outbox.entries()).toHaveLength(1);
  });

  it('keeps a failed report visible and only requeues it on request', async () => {
    const outbox = new Outbox(new MemoryOutboxStorage());
    await outbox.enqueue(sealed(2), meta, 1);
    await outbox.markFailed(sealed(2).id, { status: 422, error: 'HTTP 422: cannot open' });
    expect(await outbox.entries()).toEqual([
      expect.objectContaining({
        state: 'failed',
        lastStatus: 422,
        lastError: 'HTTP 422: cannot open',
      }),
    ]);
    expect(await outbox.due(Number.MAX_SAFE_INTEGER, true)).toHaveLength(0);
    await outbox.requeue(sealed(2).id, 50);
    expect(await outbox.due(50)).toHaveLength(1);
  });

  it('refuses transitions out of a final state and removal of a queued report', async () => {
    const outbox = new Outbox(new MemoryOutboxStorage());
    await outbox.enqueue(sealed(3), meta, 1);
    await expect(outbox.remove(sealed(3).id)).rejects.toBeInstanceOf(OutboxStateError);
    await outbox.markDelivered(sealed(3).id, 200, 2);
    await expect(outbox.markRetry(sealed(3).id, { error: 'x' }, 3)).rejects.toThrow('is delivered');
    await expect(outbox.markFailed(sealed(3).id, { error: 'x' })).rejects.toThrow('is delivered');
    await expect(outbox.requeue(sealed(3).id, 3)).rejects.toThrow('is not failed');
    await expect(outbox.markDelivered(sealed(4).id, 200, 1)).rejects.toThrow('no report');
    await outbox.remove(sealed(3).id);
    expect(await outbox.entries()).toHaveLength(0);
  });

  it('prunes delivered reports delivered before the cut-off, never queued or failed ones', async () => {
    const outbox = new Outbox(new MemoryOutboxStorage());
    for (const n of [5, 6, 7, 8]) await outbox.enqueue(sealed(n), meta, 1);
    await outbox.markDelivered(sealed(5).id, 201, 1_000); // old
    await outbox.markDelivered(sealed(6).id, 201, 9_000); // recent
    await outbox.markFailed(sealed(7).id, { status: 400, error: 'HTTP 400' });
    expect(await outbox.pruneDelivered(5_000)).toBe(1);
    const left = (await outbox.entries()).map((e) => `${e.id.slice(-1)} ${e.state}`).sort();
    expect(left).toEqual(['6 delivered', '7 failed', '8 queued']);
    expect(await outbox.pruneDelivered(Number.MAX_SAFE_INTEGER)).toBe(1);
    expect((await outbox.entries()).map((e) => e.state).sort()).toEqual(['failed', 'queued']);
  });
});
