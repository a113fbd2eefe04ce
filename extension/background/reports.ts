/**
 * Reports from this browser, the service worker's half: delivery. A report is sealed in the
 * page that took it (extension/pages/report-sealing.ts) and written to the outbox in
 * `storage.local`; the worker delivers it when it starts, when a page asks, and on the
 * `kalkan-reports` alarm, re-armed to the outbox's next due attempt. The worker carries no
 * report schema and no HPKE: they would add ~130 KB to the script a woken worker must load
 * before it can check a navigation (docs/extension.md, "The stopped-worker race").
 */
import { ReportCourier } from '../../reporting/courier.js';
import { type KeyValueArea, KeyValueOutboxStorage } from '../../reporting/key-value-storage.js';
import { decodeUnitPublicKey } from '../../reporting/keys.js';
import type { OutboxEntry } from '../../reporting/outbox.js';
import { pruneDrafts, readDrafts } from './report-drafts.js';

/** Due deliveries, and the expiry of drafts no page has sealed (report-drafts.ts). */
export const REPORT_ALARM = 'kalkan-reports';
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
  /** Drafts waiting for a destination (or for a page to seal them). */
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

export class ReportDelivery {
  private courier: { intakeUrl: string; courier: ReportCourier } | undefined;

  constructor(private readonly deps: ReportsDeps) {}

  /** Discards expired drafts, delivers what is due and re-arms the alarm. Never throws. */
  async pump(force = false): Promise<void> {
    const draftExpiry = await pruneDrafts(this.deps.area, this.now()).catch(() => undefined);
    const courier = await this.current().catch(() => undefined);
    await courier?.deliver(force).catch(() => undefined);
    await this.arm(courier, draftExpiry).catch(() => undefined);
  }

  async overview(): Promise<ReportsOverview> {
    const courier = await this.current();
    const outbox = new KeyValueOutboxStorage(this.deps.area);
    const entries = (await outbox.list()).sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    return {
      configured: courier !== undefined,
      waiting: (await readDrafts(this.deps.area, this.now())).length,
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

  /** The user asks to send a failed report again; false without a destination. */
  async retry(id: string): Promise<boolean> {
    const courier = await this.current();
    if (!courier) return false;
    await courier.retry(id);
    await this.pump();
    return true;
  }

  private async arm(
    courier: ReportCourier | undefined,
    draftExpiry: number | undefined,
  ): Promise<void> {
    const attempt = await courier?.nextAttemptAt();
    const next =
      attempt === undefined || draftExpiry === undefined
        ? (attempt ?? draftExpiry)
        : Math.min(attempt, draftExpiry);
    if (next === undefined) await this.deps.alarms.clear(REPORT_ALARM);
    else
      await this.deps.alarms.create(REPORT_ALARM, {
        when: Math.max(next, this.now() + MIN_ALARM_DELAY_MS),
      });
  }

  /** One courier per destination, so concurrent deliveries share one pass. */
  private async current(): Promise<ReportCourier | undefined> {
    const destination = destinationOf(await this.deps.settings());
    if (!destination.ok) return undefined;
    if (this.courier?.intakeUrl !== destination.intakeUrl) {
      const courier = new ReportCourier({
        storage: new KeyValueOutboxStorage(this.deps.area),
        intakeUrl: destination.intakeUrl,
        ...(this.deps.fetch ? { fetch: this.deps.fetch } : {}),
        ...(this.deps.now ? { now: this.deps.now } : {}),
      });
      this.courier = { intakeUrl: destination.intakeUrl, courier };
    }
    return this.courier.courier;
  }

  private now(): number {
    return (this.deps.now ?? Date.now)();
  }
}
