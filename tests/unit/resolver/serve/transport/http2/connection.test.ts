/**
 * Kalkan's own HTTP/2 server (resolver/serve/transport/http2/) behind a real listenDoh, driven
 * by real peers — Node's http2 client (nghttp2), curl and nghttp — and by a hostile client
 * whose frames are built by hand here, so a mistake in the frame layer cannot hide itself.
 * The DNS handler is the test's own: it echoes the query after a marker, or is held.
 */
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http2 from 'node:http2';
import type { AddressInfo, Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TLSSocket, connect as tlsConnect } from 'node:tls';
import { promisify } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Handler } from '../../../../../../resolver/serve/handler.js';
import { listenDoh } from '../../../../../../resolver/serve/transport/doh.js';
import { HpackDecoder } from '../../../../../../resolver/serve/transport/http2/hpack.js';
import { TlsCertificate } from '../../../../../../resolver/serve/transport/tls-context.js';
import { makeTestCa } from '../../../../../helpers/test-ca.js';

const run = promisify(execFile);

const MARK = Buffer.from('answer:');
const echo: Handler = (query) => Buffer.concat([MARK, query]);
/** The handler of the test running (the servers call through this). */
let handle: Handler = echo;

let dir: string;
let ca: Buffer;
let caFile: string;
let certificate: TlsCertificate;
let server: Server;
let port: number;

async function startServer(idleTimeoutMs: number, maxConnectionMs = 120_000): Promise<Server> {
  return listenDoh(
    '127.0.0.1',
    0,
    (query, client, transport, device) => handle(query, client, transport, device),
    {
      certificate,
      serviceName: 'kalkan.test',
      accept: () => true,
      idleTimeoutMs,
      maxConnections: 1000,
      maxInFlight: 16,
      maxPerClient: 1000,
      maxConnectionMs,
    },
  );
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kalkan-h2-'));
  const testCa = await makeTestCa(dir);
  const pair = await testCa.issue('server');
  caFile = testCa.caFile;
  ca = await readFile(caFile);
  certificate = await TlsCertificate.load(pair, { info() {}, error() {} });
  server = await startServer(10_000);
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server?.close();
  await rm(dir, { recursive: true, force: true });
});

beforeEach(() => {
  handle = echo;
});

/** A handler that holds every query until `release()`, counting how many it holds at once. */
function holdingHandler() {
  const held: (() => void)[] = [];
  const state = {
    calls: 0,
    running: 0,
    maxRunning: 0,
    release() {
      for (const resolve of held.splice(0)) resolve();
    },
  };
  handle = (query) =>
    new Promise<Uint8Array>((resolve) => {
      state.calls++;
      state.running++;
      state.maxRunning = Math.max(state.maxRunning, state.running);
      held.push(() => {
        state.running--;
        resolve(Buffer.concat([MARK, query]));
      });
    });
  return state;
}

/** A body of `size` octets no two neighbours alike, so a lost or repeated chunk shows. */
const pattern = (size: number) => Buffer.from(Array.from({ length: size }, (_, i) => i % 251));

// ---------------------------------------------------------------------------------------------
// Node's http2 client (nghttp2)

const POST = {
  ':method': 'POST',
  ':path': '/dns-query',
  'content-type': 'application/dns-message',
};

function session(options: http2.SecureClientSessionOptions = {}): http2.ClientHttp2Session {
  const client = http2.connect(`https://127.0.0.1:${port}`, { ca, ...options });
  client.on('error', () => {});
  return client;
}

interface Reply {
  status: number;
  headers: http2.IncomingHttpHeaders;
  body: Buffer;
}

function request(
  client: http2.ClientHttp2Session,
  headers: http2.OutgoingHttpHeaders,
  body?: Buffer,
  trailers?: http2.OutgoingHttpHeaders,
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const stream = client.request(headers, {
      endStream: body === undefined,
      waitForTrailers: trailers !== undefined,
    });
    if (trailers) stream.on('wantTrailers', () => stream.sendTrailers(trailers));
    let head: http2.IncomingHttpHeaders = {};
    const chunks: Buffer[] = [];
    stream.on('response', (h) => {
      head = h;
    });
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () =>
      resolve({ status: Number(head[':status']), headers: head, body: Buffer.concat(chunks) }),
    );
    stream.on('error', reject);
    if (body !== undefined) stream.end(body);
  });
}

describe("HTTP/2 DoH with Node's http2 client (nghttp2)", () => {
  it('100 concurrent POST streams on one connection, each answered with its own body', async () => {
    // The handler answers none until it holds all 100: this fails if the server ran fewer
    // streams at once than it advertised (the test then times out) or mixed the answers up.
    const held: (() => void)[] = [];
    handle = (query) =>
      new Promise((resolve) => {
        held.push(() => resolve(Buffer.concat([MARK, query])));
        if (held.length === 100) for (const answer of held) answer();
      });
    const client = session();
    try {
      const replies = await Promise.all(
        Array.from({ length: 100 }, (_, i) => request(client, POST, Buffer.from(`query ${i}`))),
      );
      replies.forEach((reply, i) => {
        expect(reply.status).toBe(200);
        expect(reply.headers['content-type']).toBe('application/dns-message');
        expect(reply.body.toString()).toBe(`answer:query ${i}`);
        expect(reply.headers['content-length']).toBe(String(reply.body.length));
      });
    } finally {
      client.close();
    }
  });

  it('GET with ?dns= in base64url', async () => {
    const query = Buffer.from([0, 1, 0xfb, 0xff, 0xfe, 0x3e, 0x3f]); // + and / in base64
    const client = session();
    try {
      const reply = await request(client, {
        ':method': 'GET',
        ':path': `/dns-query?dns=${query.toString('base64url')}`,
      });
      expect(reply.status).toBe(200);
      expect(reply.body).toEqual(Buffer.concat([MARK, query]));
    } finally {
      client.close();
    }
  });

  it('a 20,000-octet answer to a client whose stream window is 16 octets arrives intact', async () => {
    const answer = pattern(20_000);
    handle = () => answer;
    // nghttp2 treats DATA beyond its window as a FLOW_CONTROL_ERROR: the request then fails.
    const client = session({ settings: { initialWindowSize: 16 } });
    try {
      const reply = await request(client, POST, Buffer.from('big'));
      expect(reply.status).toBe(200);
      expect(reply.body.equals(answer)).toBe(true);
      // The default window again: the body is larger than one 16 KiB frame.
      const plain = session();
      try {
        expect((await request(plain, POST, Buffer.from('big'))).body.equals(answer)).toBe(true);
      } finally {
        plain.close();
      }
    } finally {
      client.close();
    }
  });

  it('100 large answers at once to a client with wide windows (as Chromium opens them)', async () => {
    // Chromium opens a 15 MB connection window and 6 MB stream windows: a burst of large
    // answers is written at once, and must not be taken for a client that does not read.
    const answer = pattern(60_000);
    const held: (() => void)[] = [];
    handle = () =>
      new Promise((resolve) => {
        held.push(() => resolve(answer));
        if (held.length === 100) for (const release of held) release();
      });
    const client = session({ settings: { initialWindowSize: 6 * 1024 * 1024 } });
    try {
      await once(client, 'connect');
      client.setLocalWindowSize(15 * 1024 * 1024);
      const replies = await Promise.all(
        Array.from({ length: 100 }, () => request(client, POST, Buffer.from('large'))),
      );
      for (const reply of replies) expect(reply.body.equals(answer)).toBe(true);
    } finally {
      client.close();
    }
  });

  it('a handler that throws or rejects: 500 on that stream, the connection and server go on', async () => {
    const client = session();
    try {
      handle = () => {
        throw new Error('a bug in the handler');
      };
      expect((await request(client, POST, Buffer.from('q'))).status).toBe(500);
      handle = () => Promise.reject(new Error('a bug in the handler'));
      expect((await request(client, POST, Buffer.from('q'))).status).toBe(500);
      handle = echo;
      expect((await request(client, POST, Buffer.from('q'))).body.toString()).toBe('answer:q');
    } finally {
      client.close();
    }
  });

  it('padded HEADERS and DATA (PADDING_STRATEGY_MAX) are read without their padding', async () => {
    const client = session({ paddingStrategy: http2.constants.PADDING_STRATEGY_MAX });
    try {
      for (let i = 0; i < 5; i++) {
        const query = pattern(100 + i * 300);
        const reply = await request(client, POST, query);
        expect(reply.status).toBe(200);
        expect(reply.body).toEqual(Buffer.concat([MARK, query]));
      }
    } finally {
      client.close();
    }
  });

  it('PING is answered with its payload', async () => {
    const client = session();
    try {
      await once(client, 'connect');
      const payload = Buffer.from('kalkan!!');
      const echoed = await new Promise<Buffer>((resolve, reject) =>
        client.ping(payload, (error, _duration, back) => (error ? reject(error) : resolve(back))),
      );
      expect(echoed).toEqual(payload);
    } finally {
      client.close();
    }
  });

  it('request trailers end the request; the answer comes as usual', async () => {
    const client = session();
    try {
      const reply = await request(client, POST, Buffer.from('with trailers'), {
        'x-checksum': '1234',
      });
      expect(reply.status).toBe(200);
      expect(reply.body.toString()).toBe('answer:with trailers');
    } finally {
      client.close();
    }
  });

  it('a wrong method gets 405 and a wrong path 404, with text bodies', async () => {
    const client = session();
    try {
      const put = await request(client, { ...POST, ':method': 'PUT' }, Buffer.from('x'));
      expect(put.status).toBe(405);
      expect(put.headers.allow).toBe('GET, POST');
      expect(put.headers['content-type']).toMatch(/^text\/plain/);
      expect(put.body.toString()).toBe('GET or POST\n');
      const elsewhere = await request(client, { ':method': 'GET', ':path': '/index.html' });
      expect(elsewhere.status).toBe(404);
      expect(elsewhere.body.toString()).toMatch(/^not found: DNS over HTTPS is at \/dns-query/);
      // The connection goes on serving after both.
      expect((await request(client, POST, Buffer.from('after'))).body.toString()).toBe(
        'answer:after',
      );
    } finally {
      client.close();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// curl, nghttp and h2load (nghttp2's own clients), the binaries people use

describe('HTTP/2 DoH with curl, nghttp and h2load', () => {
  it('curl --http2: POST and GET', async () => {
    const body = join(dir, 'curl-query');
    const out = join(dir, 'curl-answer');
    await writeFile(body, 'curl post');
    const common = ['--http2', '-sS', '--cacert', caFile, '-o', out, '-w', '%{http_version}'];
    const post = await run('curl', [
      ...common,
      ...['-H', 'content-type: application/dns-message', '--data-binary', `@${body}`],
      `https://127.0.0.1:${port}/dns-query`,
    ]);
    expect(post.stdout).toBe('2');
    expect(await readFile(out, 'latin1')).toBe('answer:curl post');
    const dns = Buffer.from('curl get').toString('base64url');
    const get = await run('curl', [...common, `https://127.0.0.1:${port}/dns-query?dns=${dns}`]);
    expect(get.stdout).toBe('2');
    expect(await readFile(out, 'latin1')).toBe('answer:curl get');
  });

  it('nghttp: POST and GET', async () => {
    const body = join(dir, 'nghttp-query');
    await writeFile(body, 'nghttp post');
    // nghttp does not check certificates; it fails on any HTTP/2 protocol error.
    const post = await run('nghttp', [
      ...['-d', body, '-H', 'content-type: application/dns-message'],
      `https://127.0.0.1:${port}/dns-query`,
    ]);
    expect(post.stdout).toBe('answer:nghttp post');
    const dns = Buffer.from('nghttp get').toString('base64url');
    const get = await run('nghttp', [`https://127.0.0.1:${port}/dns-query?dns=${dns}`]);
    expect(get.stdout).toBe('answer:nghttp get');
    // -v shows the frames: the server's SETTINGS advertise 100 streams.
    const verbose = await run('nghttp', ['-v', `https://127.0.0.1:${port}/dns-query?dns=${dns}`]);
    expect(verbose.stdout).toMatch(/SETTINGS_MAX_CONCURRENT_STREAMS\(0x03\):100/);
  });
  it('h2load: 2,000 POSTs over 2 connections, 100 streams at a time, all answered', async () => {
    const body = join(dir, 'h2load-query');
    await writeFile(body, 'h2load post');
    const { stdout } = await run('h2load', [
      ...['-n', '2000', '-c', '2', '-m', '100', '-d', body],
      ...['-H', 'content-type: application/dns-message'],
      `https://127.0.0.1:${port}/dns-query`,
    ]);
    expect(stdout).toMatch(/Application protocol: h2/);
    expect(stdout).toMatch(
      /requests: 2000 total, 2000 started, 2000 done, 2000 succeeded, 0 failed, 0 errored/,
    );
    expect(stdout).toMatch(/status codes: 2000 2xx/);
  });
});

// ---------------------------------------------------------------------------------------------
// A hostile client: frames built here, by hand

const T = {
  DATA: 0,
  HEADERS: 1,
  PRIORITY: 2,
  RST_STREAM: 3,
  SETTINGS: 4,
  PING: 6,
  GOAWAY: 7,
  WINDOW_UPDATE: 8,
  CONTINUATION: 9,
};
const END_STREAM = 0x1;
const ACK = 0x1;
const END_HEADERS = 0x4;
const PADDED = 0x8;
const PRIORITY = 0x20;
const E = {
  NO_ERROR: 0,
  PROTOCOL_ERROR: 1,
  FRAME_SIZE_ERROR: 6,
  REFUSED_STREAM: 7,
  CANCEL: 8,
  ENHANCE_YOUR_CALM: 11,
};
const CLIENT_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');

function rawFrame(
  type: number,
  flags: number,
  stream: number,
  payload: Uint8Array = Buffer.alloc(0),
) {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(stream, 5);
  return Buffer.concat([head, payload]);
}

const u32 = (value: number) => {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(value);
  return out;
};

function settings(entries: [number, number][] = []): Buffer {
  const payload = Buffer.alloc(entries.length * 6);
  entries.forEach(([id, value], i) => {
    payload.writeUInt16BE(id, i * 6);
    payload.writeUInt32BE(value, i * 6 + 2);
  });
  return rawFrame(T.SETTINGS, 0, 0, payload);
}

/** An HPACK integer (RFC 7541 §5.1) whose first octet carries `high` above its prefix. */
function hpackInteger(value: number, prefixBits: number, high = 0): number[] {
  const max = (1 << prefixBits) - 1;
  if (value < max) return [high | value];
  const out = [high | max];
  let rest = value - max;
  while (rest >= 128) {
    out.push((rest % 128) | 128);
    rest = Math.floor(rest / 128);
  }
  out.push(rest);
  return out;
}

/** A literal field without indexing whose name is static entry `index`, value not Huffman. */
const literal = (index: number, value: string) =>
  Buffer.concat([
    Buffer.from(hpackInteger(index, 4)),
    Buffer.from(hpackInteger(value.length, 7)),
    Buffer.from(value, 'latin1'),
  ]);

const STATIC = { path: 4, contentLength: 28, contentType: 31 };
const METHOD_GET = 0x82;
const METHOD_POST = 0x83;
const SCHEME_HTTPS = 0x87;

function postBlock(extra: Buffer[] = []): Buffer {
  return Buffer.concat([
    Buffer.from([METHOD_POST, SCHEME_HTTPS]),
    literal(STATIC.path, '/dns-query'),
    literal(STATIC.contentType, 'application/dns-message'),
    ...extra,
  ]);
}

const getBlock = (query: Buffer) =>
  Buffer.concat([
    Buffer.from([METHOD_GET, SCHEME_HTTPS]),
    literal(STATIC.path, `/dns-query?dns=${query.toString('base64url')}`),
  ]);

interface Frame {
  type: number;
  flags: number;
  stream: number;
  payload: Buffer;
}

class RawClient {
  readonly frames: Frame[] = [];
  readonly closed: Promise<void>;
  private input = Buffer.alloc(0);
  private readonly waiters = new Set<() => void>();
  private pings = 0;
  private readonly decoder = new HpackDecoder(4096, 65536);

  private constructor(readonly socket: TLSSocket) {
    socket.on('data', (chunk: Buffer) => {
      this.input = Buffer.concat([this.input, chunk]);
      while (this.input.length >= 9) {
        const length = this.input.readUIntBE(0, 3);
        if (this.input.length < 9 + length) break;
        this.frames.push({
          type: this.input[3] as number,
          flags: this.input[4] as number,
          stream: this.input.readUInt32BE(5) & 0x7fffffff,
          payload: this.input.subarray(9, 9 + length),
        });
        this.input = this.input.subarray(9 + length);
      }
      for (const wake of this.waiters) wake();
    });
    socket.on('error', () => {});
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
  }

  /** Connected with ALPN h2; `start` sends the preface and an empty SETTINGS. */
  static async open(serverPort = port, start = true): Promise<RawClient> {
    const socket = tlsConnect({ host: '127.0.0.1', port: serverPort, ca, ALPNProtocols: ['h2'] });
    await once(socket, 'secureConnect');
    expect(socket.alpnProtocol).toBe('h2');
    const client = new RawClient(socket);
    if (start) client.send(CLIENT_PREFACE, settings());
    return client;
  }

  /** Frames, or lists of frames (a request's HEADERS and DATA), written at once. */
  send(...parts: (Buffer | readonly Buffer[])[]): void {
    this.socket.write(Buffer.concat(parts.flat()));
  }

  /** The first frame (received so far or later) that `matches`. */
  async until(matches: (frame: Frame) => boolean, what: string): Promise<Frame> {
    for (let seen = 0; ; ) {
      for (; seen < this.frames.length; seen++)
        if (matches(this.frames[seen] as Frame)) return this.frames[seen] as Frame;
      if (this.socket.destroyed) throw new Error(`connection closed before ${what}`);
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ${what} within 10 s`)), 10_000);
        const wake = () => {
          clearTimeout(timer);
          this.waiters.delete(wake);
          this.socket.off('close', wake);
          resolve();
        };
        this.waiters.add(wake);
        this.socket.once('close', wake);
      });
    }
  }

  /** The connection error the server ends with (GOAWAY's code); then it must close. */
  async goaway(): Promise<number> {
    const frame = await this.until((f) => f.type === T.GOAWAY, 'GOAWAY');
    await this.closed;
    return frame.payload.readUInt32BE(4);
  }

  /**
   * A PING round trip: the server handles frames in order, so everything it does for the
   * frames sent before is done (and sent) once the ACK is back.
   */
  async ping(): Promise<void> {
    const payload = Buffer.alloc(8);
    payload.writeUInt32BE(++this.pings);
    this.send(rawFrame(T.PING, 0, 0, payload));
    await this.until(
      (f) => f.type === T.PING && (f.flags & ACK) !== 0 && f.payload.equals(payload),
      'PING ACK',
    );
  }

  rstCode(stream: number): number | undefined {
    const frame = this.frames.find((f) => f.type === T.RST_STREAM && f.stream === stream);
    return frame?.payload.readUInt32BE(0);
  }

  /** DATA octets received on `stream` so far. */
  received(stream: number): Buffer {
    return Buffer.concat(
      this.frames.filter((f) => f.type === T.DATA && f.stream === stream).map((f) => f.payload),
    );
  }

  /** The complete answer of `stream`: its :status and body. */
  async answer(stream: number): Promise<{ status: string; body: Buffer }> {
    const headers = await this.until((f) => f.type === T.HEADERS && f.stream === stream, 'HEADERS');
    const count = this.decoder.decode(headers.payload);
    const status = this.decoder.fields.slice(0, count).find(([name]) => name === ':status');
    if (!(headers.flags & END_STREAM))
      await this.until(
        (f) => f.type === T.DATA && f.stream === stream && (f.flags & END_STREAM) !== 0,
        `the end of stream ${stream}`,
      );
    return { status: status?.[1] ?? '', body: this.received(stream) };
  }

  close(): void {
    this.socket.destroy();
  }
}

/** A POST of `query` as one HEADERS and one DATA frame. */
const post = (stream: number, query: Uint8Array, extra: Buffer[] = []) => [
  rawFrame(T.HEADERS, END_HEADERS, stream, postBlock(extra)),
  rawFrame(T.DATA, END_STREAM, stream, query),
];

describe('HTTP/2 DoH against a hostile client', () => {
  it('a wrong preface: GOAWAY PROTOCOL_ERROR, then the connection is closed', async () => {
    const client = await RawClient.open(port, false);
    client.send(Buffer.from('GET / HTTP/1.1\r\nHost: kalkan.test\r\n\r\n'));
    expect(await client.goaway()).toBe(E.PROTOCOL_ERROR);
  });

  it('a first frame other than SETTINGS: GOAWAY PROTOCOL_ERROR', async () => {
    const client = await RawClient.open(port, false);
    client.send(CLIENT_PREFACE, rawFrame(T.PING, 0, 0, Buffer.alloc(8)));
    expect(await client.goaway()).toBe(E.PROTOCOL_ERROR);
  });

  it('a frame over 16,384 octets: GOAWAY FRAME_SIZE_ERROR (16,384 itself is fine)', async () => {
    const client = await RawClient.open();
    // An unknown frame type, ignored, at the largest allowed size: the PING after it is answered.
    client.send(rawFrame(0xfa, 0, 0, Buffer.alloc(16_384)));
    await client.ping();
    client.send(rawFrame(0xfa, 0, 0, Buffer.alloc(16_385)));
    expect(await client.goaway()).toBe(E.FRAME_SIZE_ERROR);
  });

  it('HEADERS on an even (server) stream id: GOAWAY PROTOCOL_ERROR', async () => {
    const client = await RawClient.open();
    client.send(rawFrame(T.HEADERS, END_HEADERS | END_STREAM, 2, getBlock(Buffer.from('x'))));
    expect(await client.goaway()).toBe(E.PROTOCOL_ERROR);
  });

  it('DATA on an idle stream: GOAWAY PROTOCOL_ERROR', async () => {
    const client = await RawClient.open();
    client.send(rawFrame(T.DATA, END_STREAM, 5, Buffer.from('data')));
    expect(await client.goaway()).toBe(E.PROTOCOL_ERROR);
  });

  // More connection errors of RFC 9113, each with the code it names (§6).
  const connectionErrors: [string, () => Buffer[], number][] = [
    ['PING not of 8 octets', () => [rawFrame(T.PING, 0, 0, Buffer.alloc(7))], E.FRAME_SIZE_ERROR],
    ['PING on a stream', () => [rawFrame(T.PING, 0, 1, Buffer.alloc(8))], E.PROTOCOL_ERROR],
    [
      'SETTINGS not in 6-octet entries',
      () => [rawFrame(T.SETTINGS, 0, 0, Buffer.alloc(5))],
      E.FRAME_SIZE_ERROR,
    ],
    ['SETTINGS on a stream', () => [rawFrame(T.SETTINGS, 0, 1)], E.PROTOCOL_ERROR],
    ['ENABLE_PUSH of 2', () => [settings([[2, 2]])], E.PROTOCOL_ERROR],
    ['MAX_FRAME_SIZE below 16,384', () => [settings([[5, 16_383]])], E.PROTOCOL_ERROR],
    ['INITIAL_WINDOW_SIZE above 2^31-1', () => [settings([[4, 2 ** 31]])], 3],
    [
      'a PUSH_PROMISE from the client',
      () => [rawFrame(5, END_HEADERS, 1, u32(2))],
      E.PROTOCOL_ERROR,
    ],
    [
      'WINDOW_UPDATE of 0 on the connection',
      () => [rawFrame(T.WINDOW_UPDATE, 0, 0, u32(0))],
      E.PROTOCOL_ERROR,
    ],
    [
      'a connection window above 2^31-1',
      () => [rawFrame(T.WINDOW_UPDATE, 0, 0, u32(2 ** 31 - 1))],
      3, // FLOW_CONTROL_ERROR
    ],
    [
      'RST_STREAM on an idle stream',
      () => [rawFrame(T.RST_STREAM, 0, 9, u32(0))],
      E.PROTOCOL_ERROR,
    ],
    ['RST_STREAM on stream 0', () => [rawFrame(T.RST_STREAM, 0, 0, u32(0))], E.PROTOCOL_ERROR],
    [
      'a frame other than CONTINUATION inside a header block',
      () => [
        rawFrame(T.HEADERS, END_STREAM, 1, getBlock(Buffer.from('x'))),
        rawFrame(T.PING, 0, 0, Buffer.alloc(8)),
      ],
      E.PROTOCOL_ERROR,
    ],
    [
      'CONTINUATION without HEADERS',
      () => [rawFrame(T.CONTINUATION, END_HEADERS, 1, getBlock(Buffer.from('x')))],
      E.PROTOCOL_ERROR,
    ],
    [
      'a header block HPACK cannot decode',
      () => [rawFrame(T.HEADERS, END_HEADERS | END_STREAM, 1, Buffer.from([0x80]))],
      9, // COMPRESSION_ERROR
    ],
    [
      'DATA whose padding is longer than the frame',
      () => [
        rawFrame(T.HEADERS, END_HEADERS, 1, postBlock()),
        rawFrame(T.DATA, PADDED | END_STREAM, 1, Buffer.from([5, 1, 2])),
      ],
      E.PROTOCOL_ERROR,
    ],
  ];
  for (const [what, frames, code] of connectionErrors)
    it(`${what}: GOAWAY with code ${code}`, async () => {
      const client = await RawClient.open();
      await client.ping(); // a positive control: the connection worked until then
      client.send(frames());
      expect(await client.goaway()).toBe(code);
    });

  it('a stream window above 2^31-1: RST_STREAM FLOW_CONTROL_ERROR on that stream only', async () => {
    const held = holdingHandler(); // stream 1 stays open with its window of 100
    const client = await RawClient.open(port, false);
    client.send(CLIENT_PREFACE, settings([[4, 100]]), post(1, Buffer.from('q')));
    await client.ping();
    client.send(rawFrame(T.WINDOW_UPDATE, 0, 1, u32(2 ** 31 - 1 - 100)));
    await client.ping();
    expect(client.rstCode(1)).toBeUndefined(); // 2^31-1 exactly
    client.send(rawFrame(T.WINDOW_UPDATE, 0, 1, u32(1)));
    await client.ping();
    expect(client.rstCode(1)).toBe(3);
    held.release();
    handle = echo;
    client.send(post(3, Buffer.from('next')));
    expect((await client.answer(3)).body.toString()).toBe('answer:next');
    client.close();
  });

  it('a header block split over CONTINUATION frames (inside strings) is decoded whole', async () => {
    const client = await RawClient.open();
    const query = Buffer.from('continued query');
    const block = getBlock(query);
    client.send(
      rawFrame(T.HEADERS, END_STREAM, 1, block.subarray(0, 5)),
      rawFrame(T.CONTINUATION, 0, 1, block.subarray(5, 6)),
      rawFrame(T.CONTINUATION, 0, 1, block.subarray(6, 20)),
      rawFrame(T.CONTINUATION, END_HEADERS, 1, block.subarray(20)),
    );
    expect(await client.answer(1)).toEqual({
      status: '200',
      body: Buffer.concat([MARK, query]),
    });
    // HEADERS with padding and a priority: both stripped before decoding.
    const padded = Buffer.concat([
      Buffer.from([10]),
      Buffer.from([0, 0, 0, 0, 16]), // stream dependency and weight
      getBlock(Buffer.from('padded')),
      Buffer.alloc(10),
    ]);
    client.send(rawFrame(T.HEADERS, END_HEADERS | END_STREAM | PADDED | PRIORITY, 3, padded));
    expect((await client.answer(3)).body.toString()).toBe('answer:padded');
    client.close();
  });

  it('a header block over 16 KiB across CONTINUATION frames: a connection error', async () => {
    const client = await RawClient.open();
    client.send(
      rawFrame(T.HEADERS, END_STREAM, 1, Buffer.alloc(8_000, 0x82)),
      rawFrame(T.CONTINUATION, 0, 1, Buffer.alloc(8_000, 0x82)),
      rawFrame(T.CONTINUATION, 0, 1, Buffer.alloc(8_000, 0x82)),
    );
    expect(await client.goaway()).toBe(E.ENHANCE_YOUR_CALM);
  });

  it('empty CONTINUATION frames without end: their headers count, a connection error', async () => {
    // Each 9-octet frame counts toward the 16 KiB block: 2,000 of them are over it.
    const client = await RawClient.open();
    const empties = Array.from({ length: 2_000 }, () =>
      rawFrame(T.CONTINUATION, 0, 1, Buffer.alloc(0)),
    );
    client.send([rawFrame(T.HEADERS, END_STREAM, 1, Buffer.from([0x82]))].concat(empties));
    expect(await client.goaway()).toBe(E.ENHANCE_YOUR_CALM);
  });

  it('a body not matching content-length: RST_STREAM PROTOCOL_ERROR, the connection goes on', async () => {
    const client = await RawClient.open();
    client.send(post(1, Buffer.from('12345'), [literal(STATIC.contentLength, '10')]));
    client.send(post(3, Buffer.from('1234567890'), [literal(STATIC.contentLength, '10')]));
    expect((await client.answer(3)).body.toString()).toBe('answer:1234567890');
    expect(client.rstCode(1)).toBe(E.PROTOCOL_ERROR);
    expect(client.frames.some((f) => f.type === T.HEADERS && f.stream === 1)).toBe(false);
    client.close();
  });

  it('streams beyond the 100 advertised are refused (REFUSED_STREAM) and the rest answered', async () => {
    const held = holdingHandler();
    const client = await RawClient.open();
    const ids = Array.from({ length: 110 }, (_, i) => 2 * i + 1);
    for (const id of ids)
      client.send(
        rawFrame(T.HEADERS, END_HEADERS, id, postBlock()),
        rawFrame(T.DATA, END_STREAM, id, Buffer.from(`q${id}`)),
      );
    await client.ping();
    expect(held.calls).toBe(100);
    expect(ids.slice(100).map((id) => client.rstCode(id))).toEqual(
      Array(10).fill(E.REFUSED_STREAM),
    );
    expect(ids.slice(0, 100).map((id) => client.rstCode(id))).toEqual(Array(100).fill(undefined));
    held.release();
    for (const id of ids.slice(0, 100))
      expect((await client.answer(id)).body.toString()).toBe(`answer:q${id}`);
    // The slots are free again.
    handle = echo;
    client.send(post(221, Buffer.from('after')));
    expect((await client.answer(221)).body.toString()).toBe('answer:after');
    client.close();
  });

  it('"rapid reset": 1,000 requests each reset at once never run more than 100 handlers', async () => {
    // Without counting a reset stream until its handler returns, every HEADERS+RST_STREAM pair
    // would start one more handler: 1,000 would run at once.
    const held = holdingHandler();
    const client = await RawClient.open();
    const frames: Buffer[] = [];
    for (let i = 0; i < 1000; i++) {
      const id = 2 * i + 1;
      frames.push(
        rawFrame(T.HEADERS, END_HEADERS | END_STREAM, id, postBlock()),
        rawFrame(T.RST_STREAM, 0, id, u32(E.CANCEL)),
      );
    }
    client.send(frames);
    await client.ping();
    expect(held.maxRunning).toBeLessThanOrEqual(100);
    expect(held.calls).toBe(100);
    const refused = client.frames.filter(
      (f) => f.type === T.RST_STREAM && f.payload.readUInt32BE(0) === E.REFUSED_STREAM,
    );
    expect(refused).toHaveLength(900);
    held.release();
    // Their handlers returned: the slots are free, and no answer went to a reset stream.
    handle = echo;
    client.send(post(2001, Buffer.from('after the storm')));
    expect((await client.answer(2001)).body.toString()).toBe('answer:after the storm');
    expect(client.frames.filter((f) => f.type === T.HEADERS)).toHaveLength(1);
    client.close();
  });

  /**
   * A 20,000-octet answer on stream 1 of a client whose streams open with 1,000 octets of
   * window (SETTINGS_INITIAL_WINDOW_SIZE, setting 4): the server has sent those 1,000 and waits.
   */
  async function answerHeldByStreamWindow(): Promise<{ client: RawClient; answer: Buffer }> {
    const answer = pattern(20_000);
    handle = () => answer;
    const client = await RawClient.open(port, false);
    client.send(CLIENT_PREFACE, settings([[4, 1000]]), post(1, Buffer.from('q')));
    await client.ping();
    expect(client.received(1).length).toBe(1000);
    return { client, answer };
  }

  it('flow control: answers wait for the stream and the connection window', async () => {
    const { client, answer } = await answerHeldByStreamWindow();
    client.send(rawFrame(T.WINDOW_UPDATE, 0, 1, u32(5000)));
    await client.ping();
    expect(client.received(1).length).toBe(6000);
    client.send(rawFrame(T.WINDOW_UPDATE, 0, 1, u32(100_000)));
    const whole = await client.answer(1);
    expect(whole.body.equals(answer)).toBe(true);

    // The connection window (65,535, never given back by this client) now has 45,535 left:
    // with large stream windows, three more 20,000-octet answers stop there.
    client.send(settings([[4, 1_000_000]]));
    for (const id of [3, 5, 7]) client.send(post(id, Buffer.from('q')));
    await client.ping();
    const sent = () => [3, 5, 7].reduce((sum, id) => sum + client.received(id).length, 0);
    expect(sent()).toBe(65_535 - 20_000);
    client.send(rawFrame(T.WINDOW_UPDATE, 0, 0, u32(100_000)));
    for (const id of [3, 5, 7]) expect((await client.answer(id)).body.equals(answer)).toBe(true);
    // No DATA frame was larger than the default SETTINGS_MAX_FRAME_SIZE.
    for (const f of client.frames) expect(f.payload.length).toBeLessThanOrEqual(16_384);
    client.close();
  });

  it('more connection window, or a larger initial window, for an answer held by its stream window', async () => {
    // Both wake the answers waiting for window; one still short of stream window must wait
    // again, not be retried for ever (the server would hang in a loop).
    const { client, answer } = await answerHeldByStreamWindow();
    client.send(rawFrame(T.WINDOW_UPDATE, 0, 0, u32(50_000)));
    await client.ping();
    expect(client.received(1).length).toBe(1000);
    // SETTINGS_INITIAL_WINDOW_SIZE from 1,000 to 1,500: 500 octets more on the open stream.
    client.send(settings([[4, 1500]]));
    await client.ping();
    expect(client.received(1).length).toBe(1500);
    client.send(rawFrame(T.WINDOW_UPDATE, 0, 1, u32(18_500)));
    expect((await client.answer(1)).body.equals(answer)).toBe(true);
    client.close();
  });

  it('a SETTINGS frame repeating INITIAL_WINDOW_SIZE: its last value holds', async () => {
    const { client, answer } = await answerHeldByStreamWindow();
    const entries = Array.from({ length: 2_000 }, (_, i): [number, number] => [4, 900 + (i % 7)]);
    entries.push([4, 1500]);
    client.send(settings(entries));
    await client.ping();
    expect(client.received(1).length).toBe(1500);
    client.send(rawFrame(T.WINDOW_UPDATE, 0, 1, u32(18_500)));
    expect((await client.answer(1)).body.equals(answer)).toBe(true);
    client.close();
  });

  it('a connection sent one octet at a time, preface included, is read right', async () => {
    const client = await RawClient.open(port, false);
    const query = Buffer.from('one octet at a time');
    const bytes = Buffer.concat([
      CLIENT_PREFACE,
      settings(),
      rawFrame(T.HEADERS, END_HEADERS, 1, postBlock()),
      rawFrame(T.DATA, 0, 1, query.subarray(0, 7)),
      rawFrame(T.DATA, END_STREAM, 1, query.subarray(7)),
    ]);
    for (const byte of bytes) {
      client.send(Buffer.from([byte]));
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(await client.answer(1)).toEqual({ status: '200', body: Buffer.concat([MARK, query]) });
    client.close();
  });

  it('malformed requests are reset (PROTOCOL_ERROR) and the connection goes on', async () => {
    const client = await RawClient.open();
    const path = literal(STATIC.path, '/dns-query?dns=AAAA');
    const malformed: [string, Buffer][] = [
      ['no :path', Buffer.from([METHOD_GET, SCHEME_HTTPS])],
      ['no :method', Buffer.concat([Buffer.from([SCHEME_HTTPS]), path])],
      [
        'a pseudo-header after a regular one',
        Buffer.concat([
          Buffer.from([METHOD_GET]),
          literal(STATIC.contentType, 'x'),
          Buffer.from([SCHEME_HTTPS]),
          path,
        ]),
      ],
      [
        'an unknown pseudo-header',
        Buffer.concat([
          getBlock(Buffer.from('x')),
          Buffer.from([0, 5]),
          Buffer.from(':fake'),
          Buffer.from([1, 0x31]),
        ]),
      ],
      [
        'an uppercase name',
        Buffer.concat([
          getBlock(Buffer.from('x')),
          Buffer.from([0, 6]),
          Buffer.from('X-Test'),
          Buffer.from([1, 0x31]),
        ]),
      ],
      [
        'a connection-specific field',
        Buffer.concat([
          getBlock(Buffer.from('x')),
          Buffer.from([0, 10]),
          Buffer.from('connection'),
          Buffer.from([5]),
          Buffer.from('close'),
        ]),
      ],
      ['a bad content-length', Buffer.concat([postBlock(), literal(STATIC.contentLength, '-1')])],
    ];
    malformed.forEach(([, block], i) => {
      client.send(rawFrame(T.HEADERS, END_HEADERS | END_STREAM, 2 * i + 1, block));
    });
    const next = 2 * malformed.length + 1;
    client.send(rawFrame(T.HEADERS, END_HEADERS | END_STREAM, next, getBlock(Buffer.from('fine'))));
    expect((await client.answer(next)).body.toString()).toBe('answer:fine');
    malformed.forEach(([what], i) => {
      expect(client.rstCode(2 * i + 1), what).toBe(E.PROTOCOL_ERROR);
    });
    client.close();
  });

  it('frames the client sent before it saw our RST_STREAM are ignored, trailers included', async () => {
    // RFC 9113 §5.1: an endpoint must ignore frames on streams it reset; trailers on a stream
    // refused or reset as malformed must not end the connection's other streams.
    const client = await RawClient.open();
    const malformed = Buffer.concat([
      postBlock(),
      Buffer.from([0, 6]),
      Buffer.from('X-Test'),
      Buffer.from([1, 0x31]),
    ]);
    const trailers = literal(STATIC.contentType, 'x'); // any field
    client.send(
      rawFrame(T.HEADERS, END_HEADERS, 1, malformed),
      rawFrame(T.DATA, 0, 1, Buffer.from('body')),
      rawFrame(T.HEADERS, END_HEADERS | END_STREAM, 1, trailers),
    );
    await client.ping();
    expect(client.rstCode(1)).toBe(E.PROTOCOL_ERROR);
    client.send(post(3, Buffer.from('next')));
    expect((await client.answer(3)).body.toString()).toBe('answer:next');
    expect(client.frames.some((f) => f.type === T.GOAWAY)).toBe(false);
    client.close();
  });

  it('DATA after the end of a request: RST_STREAM STREAM_CLOSED', async () => {
    const held = holdingHandler();
    const client = await RawClient.open();
    client.send(post(1, Buffer.from('q')), rawFrame(T.DATA, END_STREAM, 1, Buffer.from('more')));
    await client.ping();
    expect(client.rstCode(1)).toBe(5); // STREAM_CLOSED
    held.release();
    handle = echo;
    client.send(post(3, Buffer.from('next')));
    expect((await client.answer(3)).body.toString()).toBe('answer:next');
    // The reset stream's late answer was not sent.
    expect(client.frames.some((f) => f.type === T.HEADERS && f.stream === 1)).toBe(false);
    client.close();
  });

  it('a client GOAWAY: answers in progress are sent, then the connection is closed', async () => {
    const held = holdingHandler();
    const client = await RawClient.open();
    client.send(post(1, Buffer.from('in flight')));
    await client.ping();
    expect(held.calls).toBe(1);
    const goaway = Buffer.alloc(8); // last stream 0, NO_ERROR
    client.send(rawFrame(T.GOAWAY, 0, 0, goaway));
    await client.ping();
    expect(client.socket.readableEnded).toBe(false); // still open for the answer
    held.release();
    expect((await client.answer(1)).body.toString()).toBe('answer:in flight');
    await client.closed;
  });

  it('a stream reset while its answer waits for window frees its slot', async () => {
    handle = () => pattern(20_000);
    const client = await RawClient.open(port, false);
    // MAX_CONCURRENT_STREAMS slots: fill them all with answers stuck on a window of 0.
    client.send(CLIENT_PREFACE, settings([[4, 0]]));
    for (let id = 1; id < 200; id += 2) client.send(post(id, Buffer.from('q')));
    client.send(post(201, Buffer.from('q')));
    await client.ping();
    expect(client.rstCode(201)).toBe(E.REFUSED_STREAM);
    client.send(rawFrame(T.RST_STREAM, 0, 1, u32(E.CANCEL)));
    handle = echo;
    client.send(post(203, Buffer.from('q')));
    await client.ping();
    expect(client.rstCode(203)).toBeUndefined();
    expect(client.frames.some((f) => f.type === T.HEADERS && f.stream === 203)).toBe(true);
    client.close();
  });

  /**
   * Sends `requests(client)` on a connection to a server with a 300 ms idle timeout, every
   * window opened wide and answers of 60,000 octets, from a client that reads nothing, and
   * waits until the server has dropped it: how many requests it took on.
   */
  async function answeredToNonReader(requests: () => Buffer[]): Promise<number> {
    const answer = pattern(60_000);
    let calls = 0;
    handle = () => {
      calls++;
      return answer;
    };
    const idle = await startServer(300);
    try {
      const client = await RawClient.open((idle.address() as AddressInfo).port, false);
      client.send(
        CLIENT_PREFACE,
        settings([[4, 2 ** 31 - 1]]),
        rawFrame(T.WINDOW_UPDATE, 0, 0, u32(2 ** 31 - 1 - 65_535)),
      );
      await client.ping();
      client.socket.pause();
      client.send(requests());
      const open = () =>
        new Promise<number>((resolve) => idle.getConnections((_, n) => resolve(n)));
      while ((await open()) > 0) await new Promise((resolve) => setTimeout(resolve, 50));
      client.close();
      return calls;
    } finally {
      idle.close();
    }
  }

  it('a client that never reads its answers is no longer read from, then dropped when idle', async () => {
    // Without a bound on unread output the server would take on all 2,000 requests and hold
    // 120 MB for this client; what one read of requests and the kernel hold is far less.
    const calls = await answeredToNonReader(() => {
      const requests: Buffer[] = [];
      for (let id = 1; id < 4000; id += 2)
        for (const f of post(id, Buffer.from('q'))) requests.push(f);
      return requests;
    });
    expect(calls).toBeGreaterThan(0);
    expect(calls).toBeLessThan(1000);
  });

  it('requests packed ten octets each are not all answered at once to a client that does not read', async () => {
    // After one request puts its :path in the dynamic table, each GET is a 3-octet block
    // (12 octets with its frame header): one 16 KB read holds 1,365 of them, 82 MB of these
    // answers. Reading must stop within a read once answers are backlogged, not after it.
    const calls = await answeredToNonReader(() => {
      const indexedPath = Buffer.concat([
        Buffer.from([METHOD_GET, SCHEME_HTTPS, 0x44, 19]), // :path with incremental indexing
        Buffer.from('/dns-query?dns=AAAA'),
      ]);
      const requests = [rawFrame(T.HEADERS, END_HEADERS | END_STREAM, 1, indexedPath)];
      const indexed = Buffer.from([METHOD_GET, SCHEME_HTTPS, 0xbe]);
      for (let id = 3; id < 6000; id += 2)
        requests.push(rawFrame(T.HEADERS, END_HEADERS | END_STREAM, id, indexed));
      return requests;
    });
    // What the kernel's socket buffers and one 1 MiB backlog hold (about 20 MB here).
    expect(calls).toBeGreaterThan(0);
    expect(calls).toBeLessThan(1000);
  });

  it('a request body beyond the 65,535-octet stream window: RST_STREAM FLOW_CONTROL_ERROR', async () => {
    const client = await RawClient.open();
    client.send(rawFrame(T.HEADERS, END_HEADERS, 1, postBlock()));
    for (let i = 0; i < 3; i++) client.send(rawFrame(T.DATA, 0, 1, Buffer.alloc(16_384)));
    client.send(rawFrame(T.DATA, 0, 1, Buffer.alloc(16_383))); // 65,535 in all: still fine
    await client.ping();
    expect(client.rstCode(1)).toBeUndefined();
    client.send(rawFrame(T.DATA, END_STREAM, 1, Buffer.alloc(1)));
    await client.ping();
    expect(client.rstCode(1)).toBe(3); // FLOW_CONTROL_ERROR
    client.send(post(3, Buffer.from('next')));
    expect((await client.answer(3)).body.toString()).toBe('answer:next');
    client.close();
  });

  it('unfinished request bodies beyond 131,070 octets on a connection: GOAWAY ENHANCE_YOUR_CALM', async () => {
    const client = await RawClient.open();
    const part = Buffer.alloc(15_000);
    for (const id of [1, 3]) {
      client.send(rawFrame(T.HEADERS, END_HEADERS, id, postBlock()));
      for (let i = 0; i < 4; i++) client.send(rawFrame(T.DATA, 0, id, part));
    }
    await client.ping(); // 120,000 held: fine
    client.send(rawFrame(T.HEADERS, END_HEADERS, 5, postBlock()), rawFrame(T.DATA, 0, 5, part));
    expect(await client.goaway()).toBe(E.ENHANCE_YOUR_CALM);
  });

  it('unfinished bodies sent one octet a frame: each piece is charged, GOAWAY ENHANCE_YOUR_CALM', async () => {
    // 3,000 octets, far under the bound as octets; as 3,000 held pieces they are over it.
    const client = await RawClient.open();
    const octet = Buffer.from('x');
    const pieces = Array.from({ length: 3_000 }, () => rawFrame(T.DATA, 0, 1, octet));
    client.send([rawFrame(T.HEADERS, END_HEADERS, 1, postBlock())].concat(pieces));
    expect(await client.goaway()).toBe(E.ENHANCE_YOUR_CALM);
  });

  it('a client that allows larger frames gets a 20,000-octet answer in one DATA frame', async () => {
    const answer = pattern(20_000);
    handle = () => answer;
    const client = await RawClient.open(port, false);
    // SETTINGS_MAX_FRAME_SIZE (5) and SETTINGS_INITIAL_WINDOW_SIZE (4).
    client.send(
      CLIENT_PREFACE,
      settings([
        [5, 65_536],
        [4, 100_000],
      ]),
      post(1, Buffer.from('q')),
    );
    expect((await client.answer(1)).body.equals(answer)).toBe(true);
    expect(client.frames.filter((f) => f.type === T.DATA && f.stream === 1)).toHaveLength(1);
    client.close();
  });

  it('after maxConnectionMs: GOAWAY naming the last stream, which is answered; later ones are not', async () => {
    const short = await startServer(10_000, 1_000); // ample for stream 1 to arrive first
    try {
      const held = holdingHandler();
      const client = await RawClient.open((short.address() as AddressInfo).port);
      client.send(post(1, Buffer.from('before')));
      const goaway = await client.until((f) => f.type === T.GOAWAY, 'GOAWAY');
      expect(goaway.payload.readUInt32BE(0)).toBe(1); // the last stream taken on
      expect(goaway.payload.readUInt32BE(4)).toBe(E.NO_ERROR);
      client.send(post(3, Buffer.from('after')));
      await client.ping();
      expect(held.calls).toBe(1); // stream 3 was not taken on
      held.release();
      expect((await client.answer(1)).body.toString()).toBe('answer:before');
      await client.closed;
      expect(client.frames.some((f) => f.stream === 3)).toBe(false);
    } finally {
      short.close();
    }
  });

  it('GOAWAY NO_ERROR and close after idleTimeoutMs without traffic', async () => {
    const idle = await startServer(300);
    try {
      const idlePort = (idle.address() as AddressInfo).port;
      const client = await RawClient.open(idlePort);
      const started = Date.now();
      await client.ping(); // a positive control: the connection works, then goes quiet
      expect(await client.goaway()).toBe(E.NO_ERROR);
      // Generous: not before the timeout (less timer slack), well within the test's time.
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    } finally {
      idle.close();
    }
  });
});
