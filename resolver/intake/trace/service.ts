/**
 * Traces hosts for the triage: on demand (an analyst's click) and in the background when a
 * report of a host not traced in the last hour arrives, one at a time and at most 1,000
 * waiting, so a flood cannot turn the intake into a DNS or RDAP flood. Traces are stored sealed
 * with the index key; only the hosting country is kept in the clear (for statistics).
 */
import type { ReportIndex } from '../report-index.js';
import type { IntakeStore } from '../store.js';
import type { Trace, Tracer } from './tracer.js';

const QUEUE_LIMIT = 1_000;
const FRESH_MS = 60 * 60_000;

export class TraceService {
  private readonly queue = new Map<string, string>();
  private readonly tracedAt = new Map<string, number>();
  private running = false;

  constructor(
    private readonly tracer: Tracer,
    private readonly store: IntakeStore,
    private readonly index: ReportIndex,
  ) {}

  async traceNow(host: string): Promise<Trace> {
    const trace = await this.tracer.trace(host);
    const hostTag = this.index.hostTag(host);
    this.store.cases.setTrace(
      hostTag,
      this.index.seal(JSON.stringify(trace)),
      trace.country,
      trace.at,
    );
    this.tracedAt.set(hostTag, Date.now());
    return trace;
  }

  /** Queues a background trace of a newly reported host (dropped when the queue is full). */
  enqueue(host: string): void {
    const hostTag = this.index.hostTag(host);
    if (Date.now() - (this.tracedAt.get(hostTag) ?? 0) < FRESH_MS) return;
    if (this.queue.has(hostTag) || this.queue.size >= QUEUE_LIMIT) return;
    this.queue.set(hostTag, host);
    if (!this.running) void this.drain();
  }

  private async drain(): Promise<void> {
    this.running = true;
    for (const [hostTag, host] of this.queue) {
      this.queue.delete(hostTag);
      await this.traceNow(host).catch((error: unknown) => {
        console.error(`intake: a background trace failed (${(error as Error).name})`);
      });
    }
    this.running = false;
  }

  openTrace(sealed: string): Trace {
    return JSON.parse(this.index.open(sealed)) as Trace;
  }
}
