/**
 * Counters the stages bump on the hot path: plain numbers, read by /metrics and the status page
 * when asked. Per day only aggregate counts by category are kept (privacy by default: no
 * client, no name), persisted in the data dir so a restart keeps the month.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';

const DAYS_KEPT = 31;

export class Stats {
  queries = 0;
  cacheHits = 0;
  cacheMisses = 0;
  rateLimited = 0;
  refused = 0;
  servfail = 0;
  /** The UDP fast path's name table: names found there, and names it had to classify. */
  nameTableHits = 0;
  nameTableMisses = 0;
  readonly blocked = new Map<string, number>();
  /** Device id (config `devices:`) → queries answered and blocked: counts only, no names. */
  readonly devices = new Map<string, { queries: number; blocked: number }>();
  /** Stage name → queries answered SERVFAIL because that stage threw or rejected. */
  readonly stageFailures = new Map<string, number>();
  /** day (YYYY-MM-DD in timeZone) → category → blocked count; "queries" holds the day's total. */
  private readonly daily = new Map<string, Map<string, number>>();
  private today = '';
  private todayCounts = new Map<string, number>();
  /** `queries` when today's counts were last folded in: the hot path bumps one number only. */
  private queriesFolded = 0;

  constructor(
    private readonly now: () => number = Date.now,
    /** The zone whose midnight starts a new day (config `timeZone`; a change applies at the next day). */
    public timeZone = 'UTC',
  ) {
    this.rollDay();
  }

  query(): void {
    this.queries++;
  }

  /** The per-day counts with today's queries up to date. */
  dailyCounts(): ReadonlyMap<string, ReadonlyMap<string, number>> {
    this.fold();
    return this.daily;
  }

  private fold(): void {
    const delta = this.queries - this.queriesFolded;
    this.queriesFolded = this.queries;
    if (delta) this.todayCounts.set('queries', (this.todayCounts.get('queries') ?? 0) + delta);
  }

  deviceAnswered(device: string, blockedCategory: string | undefined): void {
    let counts = this.devices.get(device);
    if (!counts) {
      counts = { queries: 0, blocked: 0 };
      this.devices.set(device, counts);
    }
    counts.queries++;
    if (blockedCategory !== undefined) counts.blocked++;
  }

  stageFailed(stage: string): void {
    this.stageFailures.set(stage, (this.stageFailures.get(stage) ?? 0) + 1);
  }

  block(category: string): void {
    this.blocked.set(category, (this.blocked.get(category) ?? 0) + 1);
    this.todayCounts.set(category, (this.todayCounts.get(category) ?? 0) + 1);
  }

  /** Called once a minute: starts a new day's counts after midnight in timeZone. */
  rollDay(): void {
    const day = dayIn(new Date(this.now()), this.timeZone);
    if (day === this.today) return;
    this.fold(); // what was counted so far belongs to the day that ends
    this.today = day;
    this.todayCounts = this.daily.get(day) ?? new Map();
    this.daily.set(day, this.todayCounts);
    for (const old of [...this.daily.keys()].sort().slice(0, -DAYS_KEPT)) this.daily.delete(old);
  }

  async load(path: string): Promise<void> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch {
      return; // first start
    }
    const parsed = JSON.parse(text) as Record<string, Record<string, number>>;
    for (const [day, counts] of Object.entries(parsed)) {
      const into = this.daily.get(day) ?? new Map<string, number>();
      for (const [k, v] of Object.entries(counts)) into.set(k, (into.get(k) ?? 0) + v);
      this.daily.set(day, into);
    }
    this.today = '';
    this.rollDay();
  }

  async save(path: string): Promise<void> {
    const out: Record<string, Record<string, number>> = {};
    for (const [day, counts] of this.dailyCounts()) out[day] = Object.fromEntries(counts);
    await writeFile(`${path}.tmp`, JSON.stringify(out));
    await rename(`${path}.tmp`, path);
  }
}

/**
 * YYYY-MM-DD of `at` in `timeZone`. UTC (the default) without Intl: its first use loads ICU's
 * tables, ~6 MB resident for the life of the process.
 */
export function dayIn(at: Date, timeZone: string): string {
  if (timeZone === 'UTC') return at.toISOString().slice(0, 10);
  return new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(at);
}
