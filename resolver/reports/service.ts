/**
 * Reports from a Node process (the resolver's status page, `kalkan reports`): the shared
 * Reporter over the SQLite outbox, plus a timer that delivers when something is due.
 * The status page calls `submit(draft)` and shows `entries()`.
 */
import type { BackoffPolicy, DeliverySummary } from '../../reporting/delivery.js';
import type { OutboxEntry } from '../../reporting/outbox.js';
import { Reporter } from '../../reporting/reporter.js';
import type { ReportDraft, ReportSource } from '../../reporting/schema.js';
import type { ReportSettings } from './settings.js';
import { SqliteOutboxStorage } from './sqlite-outbox.js';

export interface ReportServiceOptions extends ReportSettings {
  source: ReportSource;
  backoff?: BackoffPolicy;
  /** Longest sleep between checks, so a new report from another process is picked up. */
  pollMs?: number;
  onDelivery?: (summary: DeliverySummary) => void;
}

export class ReportService {
  readonly reporter: Reporter;
  private readonly storage: SqliteOutboxStorage;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private inFlight: Promise<void> | undefined;

  constructor(private readonly options: ReportServiceOptions) {
    this.storage = new SqliteOutboxStorage(options.outboxPath);
    this.reporter = new Reporter({
      storage: this.storage,
      intakeUrl: options.intakeUrl,
      unitPublicKey: options.unitPublicKey,
      source: options.source,
      ...(options.backoff ? { backoff: options.backoff } : {}),
    });
  }

  /** Queues durably, then tries to deliver at once without waiting for the answer. */
  async submit(draft: ReportDraft): Promise<OutboxEntry> {
    const entry = await this.reporter.submit(draft);
    if (this.running) this.schedule(0);
    return entry;
  }

  entries(): Promise<OutboxEntry[]> {
    return this.reporter.entries();
  }

  /** Queues a failed report again (after the operator fixed the cause). */
  async retry(id: string): Promise<OutboxEntry> {
    const entry = await this.reporter.retry(id);
    if (this.running) this.schedule(0);
    return entry;
  }

  deliver(force = false): Promise<DeliverySummary> {
    return this.reporter.deliver(force);
  }

  /** Delivers in the background until `stop()`. */
  start(): void {
    this.running = true;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    await this.inFlight;
    this.storage.close();
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.inFlight = this.tick();
    }, delayMs);
  }

  private async tick(): Promise<void> {
    if (!this.running) return;
    try {
      const summary = await this.reporter.deliver();
      if (summary.entries.length > 0) this.options.onDelivery?.(summary);
    } catch (error) {
      console.error(`reports: delivery pass failed: ${(error as Error).message}`);
    }
    if (!this.running) return;
    const poll = this.options.pollMs ?? 30_000;
    const next = await this.reporter.nextAttemptAt();
    this.schedule(next === undefined ? poll : Math.min(poll, Math.max(0, next - Date.now())));
  }
}
