/**
 * The one object a platform needs to report: build and seal a report on this device, queue it
 * durably, deliver what is due. The extension gives it a chrome.storage.local storage and calls
 * `deliver()` from a chrome.alarms alarm set to `nextAttemptAt()`; the resolver gives it SQLite
 * and a timer (resolver/reports/service.ts).
 */
import {
  type BackoffPolicy,
  DEFAULT_BACKOFF,
  type DeliverySummary,
  deliverDue,
} from './delivery.js';
import { Outbox, type OutboxEntry, type OutboxStorage } from './outbox.js';
import { newReport, type ReportDraft, type ReportSource } from './schema.js';
import { sealReport } from './seal.js';

export interface ReporterOptions {
  storage: OutboxStorage;
  /** Base URL of the unit's intake, e.g. `https://reports.example/`. */
  intakeUrl: string;
  /** The unit's X25519 public key (decodeUnitPublicKey). */
  unitPublicKey: Uint8Array;
  source: ReportSource;
  fetch?: typeof fetch;
  backoff?: BackoffPolicy;
  now?: () => number;
  random?: () => number;
}

export class Reporter {
  readonly outbox: Outbox;
  private delivering: Promise<DeliverySummary> | undefined;

  constructor(private readonly options: ReporterOptions) {
    this.outbox = new Outbox(options.storage);
  }

  /** Validates, seals and queues; resolves once the sealed report is durable. Throws ReportError. */
  async submit(draft: ReportDraft): Promise<OutboxEntry> {
    const now = this.now();
    const report = newReport(draft, { source: this.options.source, now: () => new Date(now) });
    const sealed = await sealReport(report, this.options.unitPublicKey);
    return this.outbox.enqueue(sealed, report, now);
  }

  /** Delivers what is due (everything queued with `force`); concurrent calls share one pass. */
  deliver(force = false): Promise<DeliverySummary> {
    this.delivering ??= deliverDue(this.outbox, {
      intakeUrl: this.options.intakeUrl,
      backoff: this.options.backoff ?? DEFAULT_BACKOFF,
      now: () => this.now(),
      force,
      ...(this.options.fetch ? { fetch: this.options.fetch } : {}),
      ...(this.options.random ? { random: this.options.random } : {}),
    }).finally(() => {
      this.delivering = undefined;
    });
    return this.delivering;
  }

  entries(): Promise<OutboxEntry[]> {
    return this.outbox.entries();
  }

  nextAttemptAt(): Promise<number | undefined> {
    return this.outbox.nextAttemptAt();
  }

  retry(id: string): Promise<OutboxEntry> {
    return this.outbox.requeue(id, this.now());
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }
}
