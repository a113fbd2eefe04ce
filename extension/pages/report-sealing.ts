/**
 * Reports from this browser, the pages' half: a report is validated and sealed in the page that
 * took it (the report form; the popup and options for drafts), with the shared Reporter, and
 * written to the outbox in `storage.local`; the worker delivers it
 * (extension/background/reports.ts). Without a destination (intake URL + unit key) a report
 * cannot be sealed: it waits as a draft, sealed the next time a page finds one set, or
 * discarded a day after it was taken (extension/background/report-drafts.ts).
 */
import {
  type KeyValueArea,
  KeyValueOutboxStorage,
  newReport,
  type ReportDraft,
  ReportError,
  Reporter,
} from '../../reporting/index.js';
import { type KeptDraft, readDrafts, writeDrafts } from '../background/report-drafts.js';
import { type DestinationSettings, destinationOf } from '../background/reports.js';

export interface SealingDeps {
  area: KeyValueArea;
  settings: () => Promise<DestinationSettings>;
  now?: () => number;
}

export type SubmitResult = { id: string; sealed: true } | { sealed: false };

export class ReportSealing {
  constructor(private readonly deps: SealingDeps) {}

  /** Seals and queues (or keeps as a draft without a destination); throws ReportError. */
  async submit(draft: ReportDraft): Promise<SubmitResult> {
    const now = this.now();
    const stamped = { ...draft, seenAt: draft.seenAt ?? new Date(now).toISOString() };
    // Validated here too, so a bad field is refused at once even when no destination is set.
    newReport(stamped, { source: 'extension', now: () => new Date(now) });
    const reporter = await this.reporter();
    if (reporter) return { id: (await reporter.submit(stamped)).id, sealed: true };
    await writeDrafts(this.deps.area, [...(await this.drafts()), { draft: stamped, keptAt: now }]);
    return { sealed: false };
  }

  /** Seals the drafts kept while no destination was set; how many were sealed. */
  async sealDrafts(): Promise<number> {
    const reporter = await this.reporter();
    if (!reporter) return 0;
    let sealed = 0;
    for (const { draft } of await this.drafts()) {
      // Sealed first, then dropped: a stop in between can only duplicate, never lose, a report.
      await reporter.submit(draft).then(
        () => sealed++,
        (e: unknown) => {
          if (!(e instanceof ReportError)) throw e;
        },
      );
      const rest = (await this.drafts()).filter((k) => !sameDraft(k.draft, draft));
      await writeDrafts(this.deps.area, rest);
    }
    return sealed;
  }

  private async reporter(): Promise<Reporter | undefined> {
    const destination = destinationOf(await this.deps.settings());
    if (!destination.ok) return undefined;
    return new Reporter({
      storage: new KeyValueOutboxStorage(this.deps.area),
      intakeUrl: destination.intakeUrl,
      unitPublicKey: destination.unitPublicKey,
      source: 'extension',
      ...(this.deps.now ? { now: this.deps.now } : {}),
    });
  }

  private drafts(): Promise<KeptDraft[]> {
    return readDrafts(this.deps.area, this.now());
  }

  private now(): number {
    return (this.deps.now ?? Date.now)();
  }
}

function sameDraft(a: ReportDraft, b: ReportDraft): boolean {
  return a.url === b.url && a.seenAt === b.seenAt && a.category === b.category;
}
