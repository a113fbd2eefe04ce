/**
 * Delivery of reports already sealed and queued: what is due goes to the intake, the outbox
 * keeps the state. It needs neither the schema nor the HPKE suite, so a platform can deliver
 * from a context that must start fast (the extension's service worker) while sealing happens
 * elsewhere (Reporter, reporter.ts, adds it).
 */
import {
  type BackoffPolicy,
  DEFAULT_BACKOFF,
  type DeliverySummary,
  deliverDue,
} from './delivery.js';
import { Outbox, type OutboxEntry, type OutboxStorage } from './outbox.js';

/** How long a delivered report stays listed on the device (and its ciphertext kept). */
export const KEEP_DELIVERED_MS = 30 * 86_400_000;

export interface CourierOptions {
  storage: OutboxStorage;
  /** Base URL of the unit's intake, e.g. `https://reports.example/`. */
  intakeUrl: string;
  fetch?: typeof fetch;
  backoff?: BackoffPolicy;
  /** Default KEEP_DELIVERED_MS. */
  keepDeliveredMs?: number;
  now?: () => number;
  random?: () => number;
}

export class ReportCourier {
  readonly outbox: Outbox;
  private delivering: Promise<DeliverySummary> | undefined;

  constructor(private readonly courier: CourierOptions) {
    this.outbox = new Outbox(courier.storage);
  }

  /**
   * Delivers what is due (everything queued with `force`), then drops delivered reports older
   * than `keepDeliveredMs`; concurrent calls share one pass.
   */
  deliver(force = false): Promise<DeliverySummary> {
    this.delivering ??= deliverDue(this.outbox, {
      intakeUrl: this.courier.intakeUrl,
      backoff: this.courier.backoff ?? DEFAULT_BACKOFF,
      now: () => this.now(),
      force,
      ...(this.courier.fetch ? { fetch: this.courier.fetch } : {}),
      ...(this.courier.random ? { random: this.courier.random } : {}),
    })
      .then(async (summary) => {
        await this.outbox.pruneDelivered(
          this.now() - (this.courier.keepDeliveredMs ?? KEEP_DELIVERED_MS),
        );
        return summary;
      })
      .finally(() => {
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

  protected now(): number {
    return (this.courier.now ?? Date.now)();
  }
}
