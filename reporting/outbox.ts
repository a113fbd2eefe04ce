/**
 * The durable outbox: every sealed report stays here until the intake has acknowledged it, and
 * stays visible after that (delivered) or when the intake refused it (failed). Nothing leaves the
 * outbox except by an explicit `remove`, or `pruneDelivered` once a delivered report is old. Storage is the platform's: chrome.storage.local in the
 * extension, SQLite in the resolver and CLI. The outbox keeps no plaintext URL: only the sealed
 * report and what a status list needs (category, time, state).
 */
import type { Category } from './schema.js';
import type { SealedReport } from './seal.js';

export type OutboxState = 'queued' | 'delivered' | 'failed';

export interface OutboxEntry {
  id: string;
  sealed: SealedReport;
  category: Category;
  createdAt: string;
  /**
   * The intake whose unit key the report was sealed to: it is delivered there, whatever the
   * destination is by then (absent in entries queued before this was kept: the courier's).
   */
  intakeUrl?: string;
  state: OutboxState;
  /** Delivery attempts made so far. */
  attempts: number;
  /** Epoch ms before which a queued entry is not retried. */
  nextAttemptAt: number;
  /** HTTP status of the last answer, if any. */
  lastStatus?: number;
  /** Why the last attempt did not deliver (network error, the intake's message). */
  lastError?: string;
  deliveredAt?: string;
}

/** What a platform implements. `put` resolves only once the entry is durable. */
export interface OutboxStorage {
  get(id: string): Promise<OutboxEntry | undefined>;
  put(entry: OutboxEntry): Promise<void>;
  list(): Promise<OutboxEntry[]>;
  remove(id: string): Promise<void>;
}

export class OutboxStateError extends Error {
  override name = 'OutboxStateError';
}

export interface AttemptProblem {
  status?: number;
  error: string;
}

export class Outbox {
  constructor(private readonly storage: OutboxStorage) {}

  /** Queues a sealed report; queuing the same id again returns the existing entry unchanged. */
  async enqueue(
    sealed: SealedReport,
    meta: { category: Category; createdAt: string; intakeUrl?: string },
    now: number,
  ): Promise<OutboxEntry> {
    const existing = await this.storage.get(sealed.id);
    if (existing) return existing;
    const entry: OutboxEntry = {
      id: sealed.id,
      sealed,
      category: meta.category,
      createdAt: meta.createdAt,
      ...(meta.intakeUrl === undefined ? {} : { intakeUrl: meta.intakeUrl }),
      state: 'queued',
      attempts: 0,
      nextAttemptAt: now,
    };
    await this.storage.put(entry);
    return entry;
  }

  async entries(): Promise<OutboxEntry[]> {
    const all = await this.storage.list();
    return all.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }

  /** Queued entries whose next attempt is due at `now` (all queued ones with `force`). */
  async due(now: number, force = false): Promise<OutboxEntry[]> {
    return (await this.entries()).filter(
      (e) => e.state === 'queued' && (force || e.nextAttemptAt <= now),
    );
  }

  /** The earliest time a queued entry wants another attempt, or undefined when none is queued. */
  async nextAttemptAt(): Promise<number | undefined> {
    let next: number | undefined;
    for (const e of await this.storage.list()) {
      if (e.state === 'queued' && (next === undefined || e.nextAttemptAt < next)) {
        next = e.nextAttemptAt;
      }
    }
    return next;
  }

  async markDelivered(id: string, status: number, now: number): Promise<OutboxEntry> {
    const entry = await this.queued(id);
    const { lastError: _dropped, ...rest } = entry;
    return this.save({
      ...rest,
      state: 'delivered',
      attempts: entry.attempts + 1,
      lastStatus: status,
      deliveredAt: new Date(now).toISOString(),
    });
  }

  async markRetry(id: string, problem: AttemptProblem, nextAttemptAt: number) {
    const entry = await this.queued(id);
    return this.save({
      ...withProblem(entry, problem),
      attempts: entry.attempts + 1,
      nextAttemptAt,
    });
  }

  /** The intake refused the report for good: kept, shown to the user, never retried on its own. */
  async markFailed(id: string, problem: AttemptProblem): Promise<OutboxEntry> {
    const entry = await this.queued(id);
    return this.save({
      ...withProblem(entry, problem),
      state: 'failed',
      attempts: entry.attempts + 1,
    });
  }

  /** The user asks to try a failed report again. */
  async requeue(id: string, now: number): Promise<OutboxEntry> {
    const entry = await this.storage.get(id);
    if (entry?.state !== 'failed') throw new OutboxStateError(`report ${id} is not failed`);
    return this.save({ ...entry, state: 'queued', nextAttemptAt: now });
  }

  /** Explicit removal (the user clears delivered or failed reports); a queued one cannot go. */
  async remove(id: string): Promise<void> {
    const entry = await this.storage.get(id);
    if (entry?.state === 'queued') throw new OutboxStateError(`report ${id} is still queued`);
    if (entry) await this.storage.remove(id);
  }

  /**
   * Removes delivered reports delivered before `before` (epoch ms): the intake has them, and a
   * device need not keep even their ciphertext for ever. Queued and failed ones always stay.
   */
  async pruneDelivered(before: number): Promise<number> {
    let removed = 0;
    for (const entry of await this.storage.list()) {
      if (entry.state !== 'delivered' || entry.deliveredAt === undefined) continue;
      if (Date.parse(entry.deliveredAt) >= before) continue;
      await this.storage.remove(entry.id);
      removed++;
    }
    return removed;
  }

  private async queued(id: string): Promise<OutboxEntry> {
    const entry = await this.storage.get(id);
    if (!entry) throw new OutboxStateError(`no report ${id} in the outbox`);
    if (entry.state !== 'queued') throw new OutboxStateError(`report ${id} is ${entry.state}`);
    return entry;
  }

  private async save(entry: OutboxEntry): Promise<OutboxEntry> {
    await this.storage.put(entry);
    return entry;
  }
}

function withProblem(entry: OutboxEntry, problem: AttemptProblem): OutboxEntry {
  const { lastStatus: _old, ...rest } = entry;
  return {
    ...rest,
    ...(problem.status === undefined ? {} : { lastStatus: problem.status }),
    lastError: problem.error,
  };
}

/** An in-memory storage: for tests and for a caller that has no disk. */
export class MemoryOutboxStorage implements OutboxStorage {
  private readonly map = new Map<string, OutboxEntry>();
  async get(id: string) {
    const entry = this.map.get(id);
    return entry && structuredClone(entry);
  }
  async put(entry: OutboxEntry) {
    this.map.set(entry.id, structuredClone(entry));
  }
  async list() {
    return [...this.map.values()].map((e) => structuredClone(e));
  }
  async remove(id: string) {
    this.map.delete(id);
  }
}
