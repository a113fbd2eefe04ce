/**
 * Reports from this browser: sealed on the device and delivered by the shared reporting module
 * (reporting/, docs/report-format.md). The outbox lives in `storage.local`; delivery runs when
 * the worker starts, after each submit and on the `kalkan-reports` alarm, which is re-armed to
 * the outbox's next due attempt. Without a destination (intake URL + unit key) a report cannot
 * be sealed: it waits as a draft in `storage.local` and is sealed and sent once one is set.
 */
import {
  decodeUnitPublicKey,
  type KeyValueArea,
  KeyValueOutboxStorage,
  newReport,
  type OutboxEntry,
  type ReportDraft,
  ReportError,
  Reporter,
} from '../../reporting/index.js';

export const REPORT_ALARM = 'kalkan-reports';
export const DRAFTS_KEY = 'reportDrafts';
/** Chrome does not fire an alarm sooner than this after it is set; no point asking for less. */
const MIN_ALARM_DELAY_MS = 1_000;

export interface DestinationSettings {
  reportDestination: string;
  reportUnitKey: string;
}

export type Destination =
  | { ok: true; intakeUrl: string; unitPublicKey: Uint8Array }
  | { ok: false; problem: 'none' | 'destination' | 'unit-key' };

/** The configured destination, or why there is none usable (empty, bad URL, bad key). */
export function destinationOf(settings: DestinationSettings): Destination {
  const url = settings.reportDestination.trim();
  const key = settings.reportUnitKey.trim();
  if (!url && !key) return { ok: false, problem: 'none' };
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { ok: false, problem: 'destination' };
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')
    return { ok: false, problem: 'destination' };
  try {
    return {
      ok: true,
      intakeUrl: parsed.href,
      unitPublicKey: decodeUnitPublicKey(key, 'unit key'),
    };
  } catch {
    return { ok: false, problem: 'unit-key' };
  }
}

/** What the popup lists: no URL (the outbox keeps none in the clear), only state. */
export interface ReportStatus {
  id: string;
  category: OutboxEntry['category'];
  createdAt: string;
  state: OutboxEntry['state'];
  attempts: number;
  lastError?: string;
}

export interface ReportsOverview {
  configured: boolean;
  /** Drafts waiting for a destination. */
  waiting: number;
  entries: ReportStatus[];
}

export interface AlarmsApi {
  create(name: string, info: { when: number }): unknown;
  clear(name: string): Promise<unknown>;
}

export interface ReportsDeps {
  area: KeyValueArea;
  settings: () => Promise<DestinationSettings>;
  alarms: AlarmsApi;
  fetch?: typeof fetch;
  now?: () => number;
}

export type SubmitResult = { id: string; sealed: true } | { sealed: false };

export class ExtensionReports {
  private reporter: { key: string; reporter: Reporter } | undefined;
  /** Draft and outbox changes run one after another (each is a read-modify-write). */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: ReportsDeps) {}

  /** Seals and queues (or keeps as a draft without a destination); throws ReportError. */
  async submit(draft: ReportDraft): Promise<SubmitResult> {
    const now = this.now();
    const stamped = { ...draft, seenAt: draft.seenAt ?? new Date(now).toISOString() };
    // Validated here too, so a bad field is refused at once even when no destination is set.
    newReport(stamped, { source: 'extension', now: () => new Date(now) });
    return this.serial(async () => {
      const reporter = await this.current();
      if (reporter) return { id: (await reporter.submit(stamped)).id, sealed: true } as const;
      await this.deps.area.set({ [DRAFTS_KEY]: [...(await this.drafts()), stamped] });
      return { sealed: false } as const;
    });
  }

  /** Seals waiting drafts, delivers what is due, and re-arms the alarm. Never throws. */
  async pump(force = false): Promise<void> {
    const reporter = await this.serial(async () => {
      const current = await this.current();
      if (current) await this.sealDrafts(current);
      return current;
    }).catch(() => undefined);
    if (!reporter) return;
    await reporter.deliver(force).catch(() => undefined);
    await this.arm(reporter);
  }

  async overview(): Promise<ReportsOverview> {
    const reporter = await this.current();
    const outbox = new KeyValueOutboxStorage(this.deps.area);
    const entries = (await outbox.list()).sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    return {
      configured: reporter !== undefined,
      waiting: (await this.drafts()).length,
      entries: entries.map((e) => ({
        id: e.id,
        category: e.category,
        createdAt: e.createdAt,
        state: e.state,
        attempts: e.attempts,
        ...(e.lastError === undefined ? {} : { lastError: e.lastError }),
      })),
    };
  }

  /** The user asks to send a failed report again. */
  async retry(id: string): Promise<void> {
    const reporter = await this.current();
    if (!reporter) throw new ReportError('destination', 'is not set');
    await this.serial(() => reporter.retry(id));
    await this.pump();
  }

  private async sealDrafts(reporter: Reporter): Promise<void> {
    for (const draft of await this.drafts()) {
      // Sealed first, then dropped: a stop in between can only duplicate, never lose, a report.
      await reporter.submit(draft).catch((e: unknown) => {
        if (!(e instanceof ReportError)) throw e;
      });
      const rest = (await this.drafts()).filter((d) => d !== draft && !sameDraft(d, draft));
      await this.deps.area.set({ [DRAFTS_KEY]: rest });
    }
  }

  private async arm(reporter: Reporter): Promise<void> {
    const next = await reporter.nextAttemptAt();
    if (next === undefined) await this.deps.alarms.clear(REPORT_ALARM);
    else
      await this.deps.alarms.create(REPORT_ALARM, {
        when: Math.max(next, this.now() + MIN_ALARM_DELAY_MS),
      });
  }

  /** One Reporter per destination, so concurrent deliveries share one pass. */
  private async current(): Promise<Reporter | undefined> {
    const settings = await this.deps.settings();
    const destination = destinationOf(settings);
    if (!destination.ok) return undefined;
    const key = `${destination.intakeUrl} ${settings.reportUnitKey.trim()}`;
    if (this.reporter?.key !== key) {
      const reporter = new Reporter({
        storage: new KeyValueOutboxStorage(this.deps.area),
        intakeUrl: destination.intakeUrl,
        unitPublicKey: destination.unitPublicKey,
        source: 'extension',
        ...(this.deps.fetch ? { fetch: this.deps.fetch } : {}),
        ...(this.deps.now ? { now: this.deps.now } : {}),
      });
      this.reporter = { key, reporter };
    }
    return this.reporter.reporter;
  }

  private async drafts(): Promise<ReportDraft[]> {
    return ((await this.deps.area.get(DRAFTS_KEY))[DRAFTS_KEY] ?? []) as ReportDraft[];
  }

  private serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private now(): number {
    return (this.deps.now ?? Date.now)();
  }
}

function sameDraft(a: ReportDraft, b: ReportDraft): boolean {
  return a.url === b.url && a.seenAt === b.seenAt && a.category === b.category;
}
