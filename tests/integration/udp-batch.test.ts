/**
 * The batched UDP addon on its own (resolver/native/udp-batch.c through udp-batch.ts): bursts
 * from several client sockets on IPv4 and IPv6 arrive in batches, and every answer — sent in the
 * batch, sent later (a Promise), or too big for the shared answers area — reaches the peer that
 * asked, with the client address node:dgram would have given.
 */
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import type { Handler } from '../../resolver/serve/handler.js';
import type { UdpListener } from '../../resolver/serve/transport/udp.js';
import { listenUdpBatched, loadUdpBatch } from '../../resolver/serve/transport/udp-batch.js';
import { BLOCKED_BY_KALKAN, dig, startKalkan, tempDir } from '../helpers/resolver.js';

const addon = loadUdpBatch();
const PER_CLIENT = 60;
const open: UdpListener[] = [];
const clients: Socket[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await Promise.all(open.splice(0).map((l) => l.close()));
});

/** An answer: the query's bytes, the client string the server saw, and `size` bytes of padding. */
function answerFor(msg: Uint8Array, client: string, size = 0): Uint8Array {
  return Buffer.concat([msg, Buffer.from(`|${client}|`), Buffer.alloc(size, 0x2a)]);
}

/**
 * A handler that answers in the batch, later, or with a big answer, by the query's first byte,
 * and records how many queries each batch held (one onBatch call runs no microtask in between).
 */
function recordingHandler(batches: number[]): Handler {
  let inBatch = 0;
  return (msg, client) => {
    if (inBatch++ === 0)
      queueMicrotask(() => {
        batches.push(inBatch);
        inBatch = 0;
      });
    const kind = msg[0] as number;
    if (kind === 0) return answerFor(msg, client);
    if (kind === 1) return Promise.resolve(answerFor(msg, client));
    if (kind === 2) return answerFor(msg, client, 20_000); // 16 × 20 kB overflow the 256 kB area
    return undefined; // no answer at all
  };
}

async function burst(
  family: 4 | 6,
  server: UdpListener,
  sources: string[],
): Promise<Map<string, string[]>> {
  const target = family === 4 ? '127.0.0.1' : '::1';
  const received = new Map<string, string[]>();
  const done: Promise<void>[] = [];
  for (const [c, source] of sources.entries()) {
    // Room for a burst of big answers (the OS caps it at net.core.rmem_max: 4 MB here).
    const socket = createSocket({ type: family === 4 ? 'udp4' : 'udp6', recvBufferSize: 1 << 22 });
    clients.push(socket);
    await new Promise<void>((r) => socket.bind(0, source, r));
    const key = `${c}`;
    const got: string[] = [];
    received.set(key, got);
    const expected = PER_CLIENT - Math.ceil(PER_CLIENT / 4); // kind 3 gets no answer
    done.push(
      new Promise<void>((resolve) => {
        socket.on('message', (m) => {
          got.push(Buffer.from(m).toString('latin1'));
          if (got.length === expected) resolve();
        });
      }),
    );
    for (let i = 0; i < PER_CLIENT; i++)
      socket.send(Buffer.from([i % 4, ...Buffer.from(`:${c}:${i}`)]), server.port, target);
  }
  await Promise.race([
    Promise.all(done),
    new Promise((_, reject) => setTimeout(() => reject(new Error('answers missing')), 5000)),
  ]);
  return received;
}

it('is built and loads on Linux (npm run build)', () => {
  if (process.platform === 'linux') expect(addon).not.toBeInstanceOf(Error);
});

describe.skipIf(addon instanceof Error)('batched UDP addon', () => {
  const batched = addon as Exclude<typeof addon, Error>;

  for (const family of [4, 6] as const) {
    it(`answers bursts from several IPv${family} clients in batches, each to its own peer`, async () => {
      const batches: number[] = [];
      const host = family === 4 ? '127.0.0.1' : '::1';
      const server = listenUdpBatched(
        batched,
        host,
        0,
        recordingHandler(batches),
        undefined,
        false,
      );
      open.push(server);
      // Several source addresses on IPv4 loopback (127.0.0.0/8); IPv6 loopback has only ::1.
      const sources = family === 4 ? ['127.0.0.1', '127.0.0.2', '127.0.0.3'] : ['::1', '::1'];
      const received = await burst(family, server, sources);
      for (const [c, source] of sources.entries()) {
        const got = received.get(`${c}`) ?? [];
        const seqs = got.map((text) => {
          expect(text).toContain(`:${c}:`);
          expect(text).toContain(`|${source}|`);
          return Number(/:\d+:(\d+)\|/.exec(text)?.[1]);
        });
        expect(seqs.sort((a, b) => a - b)).toEqual(
          Array.from({ length: PER_CLIENT }, (_, i) => i).filter((i) => i % 4 !== 3),
        );
        expect(got.filter((t) => t.endsWith('*'.repeat(20_000)))).toHaveLength(PER_CLIENT / 4);
      }
      expect(batches.reduce((a, b) => a + b, 0)).toBe(PER_CLIENT * sources.length);
      expect(Math.max(...batches)).toBeGreaterThan(1);
    });
  }

  it('reports a port in use, shares it with reusePort, and frees it on close', async () => {
    const handler: Handler = (msg, client) => answerFor(msg, client);
    const first = listenUdpBatched(batched, '127.0.0.1', 0, handler, undefined, false);
    open.push(first);
    expect(() =>
      listenUdpBatched(batched, '127.0.0.1', first.port, handler, undefined, false),
    ).toThrow(/EADDRINUSE/);
    await first.close();
    await new Promise((r) => setImmediate(r)); // the addon closes the socket on the next loop turn
    const a = listenUdpBatched(batched, '127.0.0.1', first.port, handler, undefined, true);
    const b = listenUdpBatched(batched, '127.0.0.1', first.port, handler, undefined, true);
    open.push(a, b);
    expect(b.port).toBe(a.port);
  });
});

describe.skipIf(addon instanceof Error)('kalkan serve', () => {
  it('uses the batched transport by default where the addon loads', async () => {
    const tmp = await tempDir('kalkan-batched-');
    const k = await startKalkan(tmp.dir, {});
    try {
      expect(k.stdout()).toContain('UDP: batched');
      expect(await dig(k.port, 'abuse-demo.test')).toMatch(BLOCKED_BY_KALKAN);
    } finally {
      await k.stop();
      await tmp.remove();
    }
  });
});
