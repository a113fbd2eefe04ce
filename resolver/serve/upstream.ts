/**
 * Asking the upstream resolvers. Each query goes out with a fresh random ID from one of a small
 * pool of UDP sockets on OS-chosen random ports (sockets are replaced after a while, so the
 * source port keeps changing), and an answer is taken only from the upstream asked, with the same
 * ID and the same question. A truncated UDP answer is asked again over TCP. Attempts rotate over
 * the upstreams, healthiest first (an upstream's SERVFAIL or REFUSED counts as a failure); when
 * every attempt fails the caller gets the last such answer, or an error.
 */
import { randomFillSync } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { connect, isIPv6 } from 'node:net';
import { CD_BIT, RCODE } from '../dns/codes.js';
import { lower } from '../dns/name.js';
import { OPT_DO, OPT_PLAIN } from '../dns/opt.js';
import { buildQuery, type Question } from '../dns/query.js';
import { FrameReader, frame } from '../dns/tcp-frame.js';
import { formatUpstream, type UpstreamAddress } from '../net/host-port.js';

export interface UpstreamHealth {
  address: UpstreamAddress;
  label: string;
  answered: number;
  failed: number;
  consecutiveFailures: number;
  lastRttMs: number | undefined;
  lastError: string | undefined;
}

export interface ForwarderOptions {
  upstreams: readonly UpstreamAddress[];
  /** Per attempt. */
  timeoutMs: number;
  attempts: number;
  /** Upstream queries outstanding at once; beyond that a query fails at once (SERVFAIL). */
  maxOutstanding?: number;
  onLatency?: (upstream: string, seconds: number) => void;
}

const POOL_SIZE = 4;
const QUERIES_PER_SOCKET = 2_000;
const MAX_TCP_ANSWER = 65_535;
const DEFAULT_MAX_OUTSTANDING = 4096;

interface Pending {
  resolve: (bytes: Uint8Array) => void;
  reject: (error: Error) => void;
  question: Uint8Array;
  host: string;
  port: number;
  timer: NodeJS.Timeout;
}

class PooledSocket {
  readonly pending = new Map<number, Pending>();
  used = 0;
  retired = false;
  readonly socket: Socket;

  constructor(
    family: 'udp4' | 'udp6',
    private readonly onIdleRetired: (s: PooledSocket) => void,
  ) {
    this.socket = createSocket(family);
    this.socket.on('message', (msg, rinfo) => this.receive(msg, rinfo.address, rinfo.port));
    this.socket.on('error', () => {}); // ICMP errors etc.: the attempt times out instead
    // exclusive: in a cluster worker a shared port-0 socket would hand answers to other workers.
    this.socket.bind({ port: 0, exclusive: true });
    this.socket.unref();
  }

  private receive(msg: Buffer, host: string, port: number): void {
    if (msg.length < 12) return;
    const id = msg.readUInt16BE(0);
    const p = this.pending.get(id);
    if (!p || p.port !== port || !sameAddress(p.host, host)) return;
    if (!sameQuestion(msg, p.question)) return; // a spoof or a late answer: keep waiting
    this.settle(id, p);
    p.resolve(msg);
  }

  settle(id: number, p: Pending): void {
    clearTimeout(p.timer);
    this.pending.delete(id);
    if (this.retired && this.pending.size === 0) this.onIdleRetired(this);
  }
}

export class Forwarder {
  readonly health: UpstreamHealth[];
  private readonly pools = new Map<'udp4' | 'udp6', PooledSocket[]>();
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
    const order = [...this.health].sort(
      (a, b) =>
        a.consecutiveFailures - b.consecutiveFailures || (a.lastRttMs ?? 0) - (b.lastRttMs ?? 0),
    );
    let lastError: Error = new Error('no attempt made');
    let refusal: Uint8Array | undefined;
    for (let attempt = 0; attempt < this.options.attempts; attempt++) {
      const upstream = order[attempt % order.length] as UpstreamHealth;
      const started = performance.now();
      try {
        const answer = await this.ask(upstream.address, query, q);
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
        lastError = error as Error;
        upstream.failed++;
        upstream.consecutiveFailures++;
        upstream.lastError = lastError.message;
        if (this.closed) break;
      }
    }
    if (refusal) return refusal;
    throw lastError;
  }

  close(): void {
    this.closed = true;
    for (const pool of this.pools.values())
      for (const s of pool) {
        for (const [id, p] of s.pending) {
          s.settle(id, p);
          p.reject(new Error('shutting down'));
        }
        s.socket.close();
      }
    this.pools.clear();
  }

  private async ask(address: UpstreamAddress, query: Uint8Array, q: Question): Promise<Uint8Array> {
    const id = this.nextId();
    const packet = upstreamQuery(query, q, id);
    if (address.protocol === 'tcp') return this.askTcp(address, packet);
    const answer = await this.askUdp(address, packet, id);
    return (answer[2] as number) & 0x02 ? this.askTcp(address, packet) : answer;
  }

  private askUdp(address: UpstreamAddress, packet: Buffer, id: number): Promise<Uint8Array> {
    const pooled = this.socketFor(isIPv6(address.host) ? 'udp6' : 'udp4');
    let chosenId = id;
    while (pooled.pending.has(chosenId)) chosenId = this.nextId();
    packet.writeUInt16BE(chosenId, 0);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const p = pooled.pending.get(chosenId);
        if (p) pooled.settle(chosenId, p);
        reject(new Error(`timed out after ${this.options.timeoutMs} ms`));
      }, this.options.timeoutMs);
      pooled.pending.set(chosenId, {
        resolve,
        reject,
        question: packet.subarray(12, packet.length - 11),
        host: address.host,
        port: address.port,
        timer,
      });
      pooled.socket.send(packet, address.port, address.host, (error) => {
        if (!error) return;
        const p = pooled.pending.get(chosenId);
        if (p) pooled.settle(chosenId, p);
        reject(error);
      });
    });
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

  private socketFor(family: 'udp4' | 'udp6'): PooledSocket {
    let pool = this.pools.get(family);
    if (!pool) {
      pool = [];
      this.pools.set(family, pool);
    }
    while (pool.length < POOL_SIZE) pool.push(this.newSocket(family));
    const index = this.nextId() % pool.length;
    const pooled = pool[index] as PooledSocket;
    if (++pooled.used >= QUERIES_PER_SOCKET) {
      // Retire it: a fresh random port from now on; close it once its answers are in.
      pooled.retired = true;
      pool[index] = this.newSocket(family);
    }
    return pooled;
  }

  private newSocket(family: 'udp4' | 'udp6'): PooledSocket {
    return new PooledSocket(family, (s) => s.socket.close());
  }

  private nextId(): number {
    if (this.randomAt >= this.random.length) {
      randomFillSync(this.random);
      this.randomAt = 0;
    }
    return this.random[this.randomAt++] as number;
  }
}

/** Our query upstream: the client's question bytes, RD set, CD kept, our OPT with the client's DO. */
function upstreamQuery(query: Uint8Array, q: Question, id: number): Buffer {
  const cd = ((query[3] as number) & CD_BIT) !== 0;
  return buildQuery(id, query.subarray(12, q.questionEnd), q.dnssecOk ? OPT_DO : OPT_PLAIN, cd);
}

/** Same question section (names compared without case). */
function sameQuestion(answer: Uint8Array, question: Uint8Array): boolean {
  if (answer.length < 12 + question.length || answer[4] !== 0 || answer[5] !== 1) return false;
  for (let i = 0; i < question.length; i++)
    if (lower(answer[12 + i] as number) !== lower(question[i] as number)) return false;
  return true;
}

function sameAddress(expected: string, got: string): boolean {
  return expected === got || got === `::ffff:${expected}`;
}
