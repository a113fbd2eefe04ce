/**
 * `npm run bench:doh-floor` (issue 14): how far one thread of HTTP/2 on Node can go at all. The
 * DoH benchmark's h2load run (1,000 connections, 2 streams each, POSTs of one DNS query) against
 * two servers that do no DNS work, answering every POST with a fixed 40-byte body: one on Node's
 * `http2` core API, one on Kalkan's own HTTP/2 layer (resolver/serve/transport/http2/) over
 * node:tls; beside Unbound's DoH, rounds interleaved. What each costs per request is the floor of
 * a DoH server built on it. Prints QPS and CPU µs per request of each, and the ratios to Unbound.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createSecureServer } from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { serveHttp2 } from '../../resolver/serve/transport/http2/connection.js';
import type { HeaderField } from '../../resolver/serve/transport/http2/hpack.js';
import { generateDomains } from '../helpers/generated-list.js';
import { freePort } from '../helpers/ports.js';
import { makeTestCa } from '../helpers/test-ca.js';
import { dohQuery, h2load } from './lib/h2load.js';
import { encryptedUnbound, filteringUnbound, upstreamUnbound } from './lib/peers.js';
import { acceptsConnections, cpuOf, startServer } from './lib/server-process.js';

const ROUNDS = 3;
const REQUESTS = 40_000;
const BODY_BYTES = 40;

/** `doh-floor.ts --serve CERT KEY PORT`: the do-nothing Node HTTP/2 server, in a process of its own. */
function serveNodeFloor(cert: string, key: string, port: number): void {
  const body = Buffer.alloc(BODY_BYTES);
  const server = createSecureServer({ cert: readFileSync(cert), key: readFileSync(key) });
  server.on('stream', (stream) => {
    stream.on('error', () => {});
    stream.on('data', () => {});
    stream.on('end', () => {
      stream.respond({
        ':status': 200,
        'content-type': 'application/dns-message',
        'content-length': BODY_BYTES,
      });
      stream.end(body);
    });
  });
  server.on('sessionError', () => {});
  server.listen({ host: '127.0.0.1', port, backlog: 4096 });
}

/** `doh-floor.ts --serve-own CERT KEY PORT`: the same on Kalkan's HTTP/2 layer. */
function serveOwnFloor(cert: string, key: string, port: number): void {
  const response = {
    status: 200,
    headers: [
      ['content-type', 'application/dns-message'],
      ['content-length', String(BODY_BYTES)],
    ] as HeaderField[],
    body: Buffer.alloc(BODY_BYTES),
  };
  const server = createTlsServer(
    { cert: readFileSync(cert), key: readFileSync(key), ALPNProtocols: ['h2'] },
    (socket) =>
      serveHttp2(socket, () => response, {
        idleTimeoutMs: 30_000,
        maxConnectionMs: 120_000,
        maxStreams: 100,
      }),
  );
  server.on('tlsClientError', () => {});
  server.listen({ host: '127.0.0.1', port, backlog: 4096 });
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'kalkan-doh-floor-'));
  const stops: (() => unknown)[] = [];
  try {
    const pair = await (await makeTestCa(dir)).issue('server');
    const blocked = generateDomains(10_000, 14);
    const upstreamPort = await freePort();
    const upstream = await startServer(
      'upstream',
      await upstreamUnbound(dir, upstreamPort, ['a0.bench.test']),
      upstreamPort,
      { name: 'a0.bench.test', rcode: 0 },
    );
    stops.push(() => upstream.stop());
    const ports = { plain: await freePort(), dot: await freePort(), doh: await freePort() };
    const filtering = await filteringUnbound(dir, ports.plain, upstreamPort, blocked);
    const unbound = await startServer(
      'unbound',
      await encryptedUnbound(filtering, ports, pair, { slots: 2_100, idleTimeoutMs: 30_000 }),
      ports.plain,
      { name: blocked[0] as string, rcode: 3 },
    );
    stops.push(() => unbound.stop());
    const floorProcess = async (mode: string) => {
      const port = await freePort();
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', fileURLToPath(import.meta.url), mode, pair.cert, pair.key, `${port}`],
        { stdio: 'inherit' },
      );
      stops.push(() => child.kill());
      await acceptsConnections(port);
      return { port, pid: child.pid as number };
    };
    const nodeFloor = await floorProcess('--serve');
    const ownFloor = await floorProcess('--serve-own');
    await acceptsConnections(ports.doh);
    // A blocked name's query, as the DoH benchmark's blocked mix sends.
    const bodyFile = join(dir, 'query.bin');
    await writeFile(bodyFile, dohQuery(blocked[5] as string));
    const measured = (name: string, port: number, pid: number) => ({
      name,
      port,
      pid,
      qps: [] as number[],
      cpu: [] as number[],
    });
    const servers = [
      measured('node-http2-floor', nodeFloor.port, nodeFloor.pid),
      measured('kalkan-http2-floor', ownFloor.port, ownFloor.pid),
      measured('unbound', ports.doh, unbound.child.pid as number),
    ];
    for (let round = 0; round < ROUNDS; round++) {
      for (const s of round % 2 ? [...servers].reverse() : servers) {
        const cpuBefore = cpuOf(s.pid);
        const r = await h2load({
          url: `https://127.0.0.1:${s.port}/dns-query`,
          bodyFile,
          logFile: join(dir, `h2load-${s.name}.log`),
          clients: 1_000,
          streams: 2,
          requests: REQUESTS,
        });
        const cpu = ((cpuOf(s.pid) - cpuBefore) / REQUESTS) * 1e6;
        s.qps.push(r.qps);
        s.cpu.push(cpu);
        console.log(
          `round ${round + 1} ${s.name}: ${r.qps.toFixed(0)} QPS, ${r.succeeded} answered, ${cpu.toFixed(1)} µs CPU per request`,
        );
      }
    }
    const median = (v: number[]) =>
      [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] as number;
    const unboundServer = servers[2] as (typeof servers)[number];
    for (const server of servers) {
      const [qps, cpu] = [median(server.qps), median(server.cpu)];
      console.log(
        `median ${server.name}: ${qps.toFixed(0)} QPS / ${cpu.toFixed(1)} µs per request; ÷ Unbound: QPS ${(qps / median(unboundServer.qps)).toFixed(2)}, CPU ${(cpu / median(unboundServer.cpu)).toFixed(2)}`,
      );
    }
  } finally {
    for (const stop of stops.reverse()) await stop();
    await rm(dir, { recursive: true, force: true });
  }
}

const [mode, cert, key, port] = process.argv.slice(2);
if (mode === '--serve') serveNodeFloor(cert as string, key as string, Number(port));
else if (mode === '--serve-own') serveOwnFloor(cert as string, key as string, Number(port));
else {
  await main();
}
