/**
 * One UDP question to one upstream, from a socket of its own: the socket is connected to the
 * upstream, so the kernel picks a fresh random source port (Linux: ~28,000 ephemeral ports,
 * ~14.8 bits, beside the 16-bit random ID: the per-query entropy Unbound gets from its own
 * random ports), drops datagrams from any other address, and reports an ICMP port or host
 * unreachable as ECONNREFUSED / EHOSTUNREACH at once instead of a timeout.
 */
import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { lower } from '../dns/name.js';

/** The errors that say the upstream cannot be reached at all (as opposed to a slow answer). */
const NETWORK_ERRORS = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENETDOWN',
  'EADDRNOTAVAIL',
]);

export function isNetworkError(error: Error): boolean {
  return NETWORK_ERRORS.has((error as NodeJS.ErrnoException).code ?? '');
}

/**
 * What one question in flight needs, in one object on its socket: the socket's listeners are
 * shared functions that find it there, so a question allocates no closures. Everything made
 * per question lives until its answer, and under load that is long enough for V8 to move it
 * to the old generation: the less there is, the less the heap grows between full collections.
 */
interface InFlight {
  readonly id: number;
  readonly question: Uint8Array;
  readonly exactCase: boolean;
  readonly packet: Buffer;
  readonly resolve: (answer: Buffer) => void;
  readonly reject: (error: Error) => void;
  timer: NodeJS.Timeout | undefined;
  settled: boolean;
}

const IN_FLIGHT = Symbol('upstream question in flight');
type UpstreamSocket = Socket & { [IN_FLIGHT]: InFlight };

export function askUdp(
  address: { host: string; port: number },
  packet: Buffer,
  timeoutMs: number,
  exactCase: boolean,
): Promise<Buffer> {
  const socket = createSocket({
    type: isIPv6(address.host) ? 'udp6' : 'udp4',
    lookup: addressAsIs,
  }) as UpstreamSocket;
  return new Promise((resolve, reject) => {
    const question: InFlight = {
      id: packet.readUInt16BE(0),
      question: packet.subarray(12, packet.length - 11),
      exactCase,
      packet,
      resolve,
      reject,
      timer: undefined,
      settled: false,
    };
    socket[IN_FLIGHT] = question;
    question.timer = setTimeout(onTimeout, timeoutMs, socket, timeoutMs);
    socket.on('error', onError);
    socket.on('message', onMessage);
    socket.on('connect', onConnect);
    // connect() binds to port 0 exclusively: in a cluster worker the socket stays its own.
    socket.connect(address.port, address.host);
    socket.unref(); // a question in flight does not keep a stopping process alive
  });
}

function finish(socket: UpstreamSocket, error: Error | undefined, answer?: Buffer): void {
  const question = socket[IN_FLIGHT];
  if (question.settled) return;
  question.settled = true;
  clearTimeout(question.timer);
  socket.close();
  if (error) question.reject(error);
  else question.resolve(answer as Buffer);
}

function onConnect(this: UpstreamSocket): void {
  this.send(this[IN_FLIGHT].packet); // a failed send is an 'error' event
}

function onMessage(this: UpstreamSocket, msg: Buffer): void {
  const { id, question, exactCase } = this[IN_FLIGHT];
  // A late answer to another query or a spoof: keep waiting for ours.
  if (msg.length < 12 || msg.readUInt16BE(0) !== id) return;
  if (!sameQuestion(msg, question, exactCase)) return;
  finish(this, undefined, msg);
}

function onError(this: UpstreamSocket, error: Error): void {
  const code = (error as NodeJS.ErrnoException).code;
  finish(
    this,
    Object.assign(new Error(code === 'ECONNREFUSED' ? 'connection refused' : error.message), {
      code,
    }),
  );
}

function onTimeout(socket: UpstreamSocket, timeoutMs: number): void {
  finish(socket, new Error(`timed out after ${timeoutMs} ms`));
}

/**
 * The upstreams are IP addresses (config.ts refuses names), so bind and connect need no
 * dns.lookup: handed back at once, which spares each query's socket two lookups with their
 * callbacks and ticks, and the queue that connect() keeps while bind() waits for one.
 */
function addressAsIs(
  address: string,
  _options: unknown,
  callback: (error: NodeJS.ErrnoException | null, address: string, family: number) => void,
): void {
  callback(null, address, isIPv6(address) ? 6 : 4);
}

/** Same question section (names compared without case unless 0x20 is on). */
export function sameQuestion(answer: Uint8Array, question: Uint8Array, exactCase = false): boolean {
  if (answer.length < 12 + question.length || answer[4] !== 0 || answer[5] !== 1) return false;
  for (let i = 0; i < question.length; i++) {
    const a = answer[12 + i] as number;
    const b = question[i] as number;
    if (exactCase ? a !== b : lower(a) !== lower(b)) return false;
  }
  return true;
}

/**
 * 0x20 (draft-vixie-dnsext-dns0x20): flips the case of each letter of the question name at
 * random, a bit of entropy per letter a spoofer must also guess. Label length bytes are skipped.
 */
export function randomizeCase(packet: Buffer, questionEnd: number, random16: () => number): void {
  let bits = 0;
  let left = 0;
  let at = 12;
  while (at < questionEnd) {
    const length = packet[at] as number;
    if (length === 0 || length > 63) return;
    for (let i = at + 1; i <= at + length; i++) {
      const c = packet[i] as number;
      const lower = c | 0x20;
      if (lower < 97 || lower > 122) continue;
      if (left === 0) {
        bits = random16();
        left = 16;
      }
      packet[i] = bits & 1 ? lower & ~0x20 : lower;
      bits >>= 1;
      left--;
    }
    at += length + 1;
  }
}
