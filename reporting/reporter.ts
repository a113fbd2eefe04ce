/**
 * The one object a platform needs to report: build and seal a report on this device, queue it
 * durably, deliver what is due (ReportCourier, courier.ts). The resolver gives it SQLite and a
 * timer (resolver/reports/service.ts); the extension seals in its pages and delivers from the
 * service worker with a courier alone (extension/background/reports.ts).
 */
import { type CourierOptions, ReportCourier } from './courier.js';
import type { OutboxEntry } from './outbox.js';
import { newReport, type ReportDraft, type ReportSource } from './schema.js';
import { sealReport } from './seal.js';

export interface ReporterOptions extends CourierOptions {
  /** The unit's X25519 public key (decodeUnitPublicKey). */
  unitPublicKey: Uint8Array;
  source: ReportSource;
}

export class Reporter extends ReportCourier {
  constructor(private readonly options: ReporterOptions) {
    super(options);
  }

  /** Validates, seals and queues; resolves once the sealed report is durable. Throws ReportError. */
  async submit(draft: ReportDraft): Promise<OutboxEntry> {
    const now = this.now();
    const report = newReport(draft, { source: this.options.source, now: () => new Date(now) });
    const sealed = await sealReport(report, this.options.unitPublicKey);
    // Delivered to the intake that holds this key, even if the destination changes meanwhile.
    return this.outbox.enqueue(sealed, { ...report, intakeUrl: this.options.intakeUrl }, now);
  }
}
