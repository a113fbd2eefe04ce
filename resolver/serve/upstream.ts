/**
 * Asking the upstream resolvers. Each UDP query goes out from its own socket, connected to the
 * upstream asked, on a fresh OS-chosen random port (upstream-udp.ts), with a fresh random ID (and,
 * optionally, 0x20 random case); an answer is taken only with the same ID and question. A
 * truncated UDP answer is asked again over TCP. Attempts rotate over the upstreams that are up,
 * healthiest first (an upstream's SERVFAIL or REFUSED counts as a failure); when every attempt
 * fails the caller gets the last such answer, or an UpstreamError carrying the Extended DNS
 * Error to answer with. An upstream that refuses (ICMP port unreachable on the connected socket)
 * or cannot be reached is marked down at once, skipped, and probed in the background until it
 * answers again. Timeouts alone say less: a live upstream is slow for names whose servers are
 * dead, so a run of them first asks the upstream a question it answers itself; only silence
 * marks it down.
 */
import { randomFillSync } from 'node:crypto';
import { connect } from 'node:net';
import { CD_BIT, RCODE } from '../dns/codes.js';
import { OPT_DO, OPT_PLAIN } from '../dns/opt.js';
import { buildQuery, type Question } from '../dns/query.js';
import { FrameReader, frame } from '../dns/tcp-frame.js';
import { formatUpstream, type UpstreamAddress } from '../net/host-port.js';
import { EDE_NETWORK_ERROR, EDE_NO_REACHABLE_AUTHORITY, UpstreamError } from './upstream-error.js';
import { askUdp, isNetworkError, randomizeCase, sameQuestion } from './upstream-udp.js';

export interface UpstreamHealth {
  address: UpstreamAddress;
  label: string;
  answered: number;
  failed: number;
  consecutiveFailures: number;
  lastRttMs: number | undefined;
  lastError: string | undefined;
  /** Refused or unreachable: skipped until a background probe gets an answer. */
  down: boolean;
}

export interface ForwarderOptions {
  upstreams: readonly UpstreamAddress[];
  /** Per attempt. */
  timeoutMs: number;
  attempts: number;
  /** Upstream queries outstanding at once; beyond that a query fails at once (SERVFAIL). */
  maxOutstanding?: number;
  onLatency?: (upstream: string, seconds: number) => void;
  /** Called when an upstream is marked down and when it answers again. */
  onStateChange?: (upstream: UpstreamHealth, up: boolean, reason: string) => void;
  /** 0x20: random letter case in the names sent upstream; answers must keep it. */
  randomCase?: boolean;
}

const MAX_TCP_ANSWER = 65_535;
const DEFAULT_MAX_OUTSTANDING = 4096;
/** Failures in a row (no good answer in between) after which a timeout asks if the upstream is there. */
const TIMEOUTS_FOR_CHECK = 5;
const PROBE_FIRST_MS = 500;
// Short enough that service is back within seconds of the upstream.
const PROBE_MAX_MS = 5000;
/**
 * The probes, sent together; any answer to either (any rcode) says the upstream is there:
 * ". IN NS", which a working resolver has cached, and "id.server. CH TXT" (RFC 4892), which
 * Unbound, BIND, Knot and dnsmasq answer themselves, even with no way out to the Internet.
 */
const PROBE_QUESTIONS = [
  Uint8Array.from([0, 0, 2, 0, 1]),
  Uint8Array.from([2, 105, 100, 6, 115, 101, 114, 118, 101, 114, 0, 0, 16, 0, 3]),
];

export class Forwarder {
  readonly health: UpstreamHealth[];
  private readonly probes = new Map<UpstreamHealth, NodeJS.Timeout>();
  /** Upstreams being asked whether they are there after a run of failures. */
  private readonly checking = new Set<UpstreamHealth>();
  private readonly random = new Uint16Array(4096);
  private randomAt = this.random.length;
  private closed = false;
  private outstanding = 0;

  constructor(private readonly options: ForwarderOptions) {
    this.health = options.upstreams.map((address) => ({
      address,
      label: formatUpstream(address),
      answered: 0,
      failed: 0,
      consecutiveFailures: 0,
      lastRttMs: undefined,
      lastError: undefined,
      down: false,
    }));
  }

  /** Sends the client's question upstream; resolves with the upstream's raw answer. */
  async resolve(query: Uint8Array, q: Question): Promise<Uint8Array> {
    if (this.health.length === 0) throw new Error('no upstreams configured');
    if (this.outstanding >= (this.options.maxOutstanding ?? DEFAULT_MAX_OUTSTANDING))
      throw new Error('too many upstream queries outstanding');
    this.outstanding++;
    try {
      return await this.tryUpstreams(query, q);
    } finally {
      this.outstanding--;
    }
  }

  private async tryUpstreams(query: Uint8Array, q: Question): Promise<Uint8Array> {
    const order =
      this.health.length === 1
        ? this.health
        : this.health
            .filter((u) => !u.down)
            .sort(
              (a, b) =>
                a.consecutiveFailures - b.consecutiveFailures ||
                (a.lastRttMs ?? 0) - (b.lastRttMs ?? 0),
            );
    // Made only when an attempt fails: an Error captures a stack, costly on every query.
    let lastError: Error | undefined;
    let refusal: Uint8Array | undefined;
    for (let attempt = 0; attempt < this.options.attempts; attempt++) {
      // An upstream marked down by an earlier attempt (this query's or another's) is skipped.
      const upstream = nthLive(order, attempt);
      if (!upstream) break;
      const started = performance.now();
      let answered = false;
      try {
        const answer = await this.ask(upstream.address, query, q);
        answered = true;
        const ms = performance.now() - started;
        upstream.lastRttMs = ms;
        this.options.onLatency?.(upstream.label, ms / 1000);
        const rcode = (answer[3] as number) & 0x0f;
        if (rcode === RCODE.SERVFAIL || rcode === RCODE.REFUSED) {
          // That upstream cannot answer this; another may. Kept in case none can.
          refusal = answer;
          throw new Error(`answered ${rcode === RCODE.SERVFAIL ? 'SERVFAIL' : 'REFUSED'}`);
        }
        upstream.answered++;
        upstream.consecutiveFailures = 0;
        return answer;
      } catch (error) {
        const failure = error as Error;
        upstream.failed++;
        upstream.consecutiveFailures++;
        upstream.lastError = failure.message;
        const network = isNetworkError(failure);
        lastError = new UpstreamError(
          `${upstream.label}: ${failure.message}`,
          network ? EDE_NETWORK_ERROR : EDE_NO_REACHABLE_AUTHORITY,
        );
        if (network) this.markDown(upstream, failure.message);
        else if (!answered && upstream.consecutiveFailures >= TIMEOUTS_FOR_CHECK)
          this.check(upstream);
        if (this.closed) break;
      }
    }
    if (refusal) return refusal;
    throw (
      lastError ??
      new UpstreamError(
        `no upstream reachable (${this.health.map((u) => `${u.label}: ${u.lastError}`).join('; ')})`,
        EDE_NO_REACHABLE_AUTHORITY,
      )
    );
  }

  private markDown(upstream: UpstreamHealth, reason: string): void {
    if (upstream.down || this.closed) return;
    upstream.down = true;
    this.options.onStateChange?.(upstream, false, reason);
    this.probe(upstream, PROBE_FIRST_MS);
  }

  /**
   * After a run of failures: is the upstream there at all? An answer to a probe keeps it up
   * (the failures were those names' own); silence marks it down. One check at a time.
   */
  private check(upstream: UpstreamHealth): void {
    if (upstream.down || this.closed || this.checking.has(upstream)) return;
    this.checking.add(upstream);
    const reason = upstream.lastError ?? 'no answer';
    this.askProbes(upstream).then(
      () => {
        this.checking.delete(upstream);
        upstream.consecutiveFailures = 0;
      },
      () => {
        this.checking.delete(upstream);
        this.markDown(upstream, reason);
      },
    );
  }

  /** Resolves when the upstream answers either probe question, rejects when it answers neither. */
  private askProbes(upstream: UpstreamHealth): Promise<unknown> {
    return Promise.any(
      PROBE_QUESTIONS.map((question) => {
        const query = Buffer.alloc(12 + question.length);
        query.writeUInt16BE(1, 4);
        query.set(question, 12);
        const q = { questionEnd: query.length, dnssecOk: false } as Question;
        return this.ask(upstream.address, query, q);
      }),
    ).catch((error: AggregateError) => {
      throw error.errors[0] as Error;
    });
  }

  /** Probes a down upstream now and then (backing off); any answer brings it back. */
  private probe(upstream: UpstreamHealth, delayMs: number): void {
    const timer = setTimeout(() => {
      this.askProbes(upstream).then(
        () => {
          this.probes.delete(upstream);
          upstream.down = false;
          upstream.consecutiveFailures = 0;
          upstream.lastError = undefined;
          this.options.onStateChange?.(upstream, true, 'answered a probe');
        },
        (error: Error) => {
          upstream.lastError = error.message;
          if (!this.closed) this.probe(upstream, Math.min(delayMs * 2, PROBE_MAX_MS));
        },
      );
    }, delayMs);
    timer.unref();
    this.probes.set(upstream, timer);
  }

  close(): void {
    this.closed = true;
    for (const timer of this.probes.values()) clearTimeout(timer);
    this.probes.clear();
  }

  private async ask(address: UpstreamAddress, query: Uint8Array, q: Question): Promise<Uint8Array> {
    const id = this.nextId();
    const packet = upstreamQuery(query, q, id);
    if (this.options.randomCase) randomizeCase(packet, q.questionEnd, () => this.nextId());
    const answer =
      address.protocol === 'tcp'
        ? await this.askTcp(address, packet)
        : await askUdp(address, packet, this.options.timeoutMs, this.options.randomCase === true);
    const final = (answer[2] as number) & 0x02 ? await this.askTcp(address, packet) : answer;
    // The client gets its question back in its own letter case.
    if (this.options.randomCase) final.set(query.subarray(12, q.questionEnd), 12);
    return final;
  }

  private askTcp(address: UpstreamAddress, packet: Buffer): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: address.host, port: address.port });
      const frames = new FrameReader();
      const fail = (error: Error) => {
        socket.destroy();
        reject(error);
      };
      socket.setTimeout(this.options.timeoutMs, () =>
        fail(new Error(`TCP timed out after ${this.options.timeoutMs} ms`)),
      );
      socket.on('error', fail);
      socket.on('connect', () => socket.write(frame(packet)));
      socket.on('data', (chunk) => {
        frames.push(chunk);
        if (frames.pending > MAX_TCP_ANSWER + 2) return fail(new Error('TCP answer too long'));
        const answer = frames.next();
        if (answer === undefined) return;
        socket.destroy();
        if (answer === null || answer.readUInt16BE(0) !== packet.readUInt16BE(0))
          return reject(new Error('TCP answer with the wrong ID'));
        if (!sameQuestion(answer, packet.subarray(12, packet.length - 11)))
          return reject(new Error('TCP answer for another question'));
        resolve(answer);
      });
      socket.on('end', () => fail(new Error('TCP connection closed before an answer')));
    });
  }

  private nextId(): number {
    if (this.randomAt >= this.random.length) {
      randomFillSync(this.random);
      this.randomAt = 0;
    }
    return this.random[this.randomAt++] as number;
  }
}

/** The upstreams not down, in order, taken round: the one for this attempt (no array made). */
function nthLive(order: readonly UpstreamHealth[], attempt: number): UpstreamHealth | undefined {
  let live = 0;
  for (const u of order) if (!u.down) live++;
  if (live === 0) return undefined;
  let skip = attempt % live;
  for (const u of order) if (!u.down && skip-- === 0) return u;
  return undefined;
}

/** Our query upstream: the client's question bytes, RD set, CD kept, our OPT with the client's DO. */
function upstreamQuery(query: Uint8Array, q: Question, id: number): Buffer {
  const cd = ((query[3] as number) & CD_BIT) !== 0;
  return buildQuery(id, query.subarray(12, q.questionEnd), q.dnssecOk ? OPT_DO : OPT_PLAIN, cd);
}
