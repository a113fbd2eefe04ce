/**
 * `npm run bench:encrypted` (issue 14): DNS over TLS and DNS over HTTPS, Kalkan beside Unbound
 * serving DoT/DoH itself (Debian's Unbound 1.17 has both), the same list, the same upstream, the
 * same load (dnsperf `-m dot`; h2load for DoH, see lib/h2load.ts): QPS for repeated blocked and repeated cached names,
 * p99 at a fixed offered load, resident memory, and the memory each idle TLS connection holds.
 * `-- --quick` runs a short smoke version (fewer connections and seconds). Prints a table and
 * writes tests/bench/results/encrypted-latest.json.
 */
import { appendFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type TLSSocket } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { generateDomains } from '../helpers/generated-list.js';
import { freePort } from '../helpers/ports.js';
import { makeTestCa, SERVICE_NAME } from '../helpers/test-ca.js';
import { latency, load } from './lib/dnsperf.js';
import { h2load } from './lib/h2load.js';
import { kalkanServer, prepareKalkan } from './lib/kalkan.js';
import { filteringUnbound, upstreamUnbound } from './lib/peers.js';
import { type ServerProcess, startServer } from './lib/server-process.js';

const QUICK = process.argv.includes('--quick');
const ENTRIES = QUICK ? 10_000 : 100_000;
const SECONDS = QUICK ? 2 : 10;
/** Concurrent connections dnsperf holds (-c). */
const CONNECTIONS = QUICK ? 50 : 1000;
const IDLE_CONNECTIONS = QUICK ? 100 : 1000;
const LATENCY_QPS = QUICK ? 2000 : 10_000;
const RESULTS = fileURLToPath(new URL('./results/', import.meta.url));

type Mode = 'dot' | 'doh';
interface Row {
  server: string;
  mode: Mode;
  workload: 'blocked' | 'cached';
  qps: number;
  lost: number;
  p99Ms?: number;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'kalkan-bench-enc-'));
  const servers: ServerProcess[] = [];
  try {
    const ca = await makeTestCa(dir);
    const pair = await ca.issue('server');
    const blocked = generateDomains(ENTRIES, 14);
    const allowed = Array.from({ length: 1000 }, (_, i) => `a${i}.bench.test`);
    const upstreamPort = await freePort();
    servers.push(
      await startServer(
        'upstream',
        await upstreamUnbound(dir, upstreamPort, allowed),
        upstreamPort,
        {
          name: allowed[0] as string,
          rcode: 0,
        },
      ),
    );
    const files = await queryFiles(dir, blocked, allowed);
    const rows: Row[] = [];
    const memory: Record<string, { rssMb: number; perIdleConnectionKb: number }> = {};

    // Kalkan: the bench's own server command plus the DoT/DoH flags.
    const setup = await prepareKalkan(dir, blocked);
    const kPort = await freePort();
    const kalkan = await kalkanServer(setup, kPort, upstreamPort, 1);
    const kDot = await freePort();
    const kDoh = await freePort();
    // Every connection comes from 127.0.0.1: the per-client cap (8) would refuse the load.
    await appendFile(
      kalkan.args[3] as string,
      `tcp: {maxConnections: ${CONNECTIONS + IDLE_CONNECTIONS + 100}, maxConnectionsPerClient: ${CONNECTIONS + IDLE_CONNECTIONS + 100}}\n`,
    );
    kalkan.args = [
      ...kalkan.args,
      ...['--dot', `127.0.0.1:${kDot}`, '--doh', `127.0.0.1:${kDoh}`],
      ...['--tls-cert', pair.cert, '--tls-key', pair.key],
    ];
    // Unbound: the bench's filtering config plus its DoT and DoH ports.
    const uPort = await freePort();
    const uDot = await freePort();
    const uDoh = await freePort();
    const unbound = await filteringUnbound(dir, uPort, upstreamPort, blocked);
    await encryptedUnbound(unbound.args[2] as string, uPort, uDot, uDoh, pair);

    for (const [name, launch, port, dot, doh] of [
      ['kalkan', kalkan, kPort, kDot, kDoh],
      ['unbound', unbound, uPort, uDot, uDoh],
    ] as const) {
      const server = await startServer(name, launch, port, {
        name: blocked[0] as string,
        rcode: 3,
      });
      servers.push(server);
      for (const workload of ['blocked', 'cached'] as const) {
        const queryFile = files[workload];
        const common = { port: dot, queryFile, mode: 'dot' as const, clients: CONNECTIONS };
        const r = await load({ ...common, seconds: SECONDS, outstanding: CONNECTIONS * 2 });
        const l = await latency({ ...common, seconds: SECONDS, maxQps: LATENCY_QPS });
        const row = { qps: Math.round(r.qps), lost: r.lost, p99Ms: l.p99Ms };
        rows.push({ server: name, mode: 'dot', workload, ...row });
        console.log(
          `${name} dot ${workload}: ${row.qps} qps, ${r.lost} lost, p99 ${l.p99Ms.toFixed(2)} ms at ${LATENCY_QPS} qps`,
        );
        const h = await h2load({
          url: `https://127.0.0.1:${doh}/dns-query`,
          bodyFile: files[`${workload}Body`],
          logFile: join(dir, `h2load-${name}-${workload}.log`),
          clients: CONNECTIONS,
          streams: 2,
          seconds: SECONDS,
        });
        rows.push({
          server: name,
          mode: 'doh',
          workload,
          qps: Math.round(h.qps),
          lost: h.failed,
          p99Ms: h.p99Ms,
        });
        console.log(
          `${name} doh ${workload}: ${Math.round(h.qps)} qps, ${h.failed} failed, p99 ${h.p99Ms.toFixed(2)} ms under full load`,
        );
      }
      const before = server.rssBytes();
      const idle = await openIdle(dot, IDLE_CONNECTIONS);
      await new Promise((r) => setTimeout(r, 500));
      const after = server.rssBytes();
      for (const s of idle) s.destroy();
      memory[name] = {
        rssMb: Math.round(before / 1e6),
        perIdleConnectionKb: Math.round((after - before) / IDLE_CONNECTIONS / 1024),
      };
      console.log(
        `${name}: RSS ${memory[name].rssMb} MB after the load; ${memory[name].perIdleConnectionKb} kB per idle DoT connection (${IDLE_CONNECTIONS} opened)`,
      );
      await server.stop();
    }
    await mkdir(RESULTS, { recursive: true });
    await writeFile(
      join(RESULTS, 'encrypted-latest.json'),
      `${JSON.stringify({ quick: QUICK, connections: CONNECTIONS, seconds: SECONDS, entries: ENTRIES, rows, memory }, null, 2)}\n`,
    );
  } finally {
    for (const s of servers) await s.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

async function queryFiles(dir: string, blocked: string[], allowed: string[]) {
  const blockedFile = join(dir, 'blocked.txt');
  const cachedFile = join(dir, 'cached.txt');
  await writeFile(blockedFile, `${blocked.map((n) => `${n} A`).join('\n')}\n`);
  await writeFile(cachedFile, `${allowed.map((n) => `${n} A`).join('\n')}\n`);
  // h2load sends one body: a repeated blocked name, a repeated cached name.
  const blockedBody = join(dir, 'blocked.bin');
  const cachedBody = join(dir, 'cached.bin');
  await writeFile(blockedBody, wireQuery(blocked[0] as string));
  await writeFile(cachedBody, wireQuery(allowed[0] as string));
  return { blocked: blockedFile, cached: cachedFile, blockedBody, cachedBody };
}

function wireQuery(name: string): Buffer {
  const labels = name
    .split('.')
    .map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)]));
  const header = Buffer.from([0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
  return Buffer.concat([header, ...labels, Buffer.from([0, 0, 1, 0, 1])]);
}

/** Adds Unbound's DoT and DoH listeners (tls-port, https-port) to its bench config. */
async function encryptedUnbound(
  file: string,
  port: number,
  dot: number,
  doh: number,
  pair: { cert: string; key: string },
): Promise<void> {
  const { readFile } = await import('node:fs/promises');
  const text = await readFile(file, 'utf8');
  const extra = [
    `  interface: 127.0.0.1@${port}`,
    `  interface: 127.0.0.1@${dot}`,
    `  interface: 127.0.0.1@${doh}`,
    `  tls-port: ${dot}`,
    `  https-port: ${doh}`,
    `  tls-service-key: "${pair.key}"`,
    `  tls-service-pem: "${pair.cert}"`,
    '  http-notls-downstream: no',
    '  incoming-num-tcp: 2000',
  ];
  await writeFile(file, text.replace('  interface: 127.0.0.1\n', `${extra.join('\n')}\n`));
}

/** `count` DoT connections, handshaken and left idle. */
async function openIdle(port: number, count: number): Promise<TLSSocket[]> {
  const sockets: TLSSocket[] = [];
  for (let i = 0; i < count; i++) {
    sockets.push(
      await new Promise<TLSSocket>((resolve, reject) => {
        const s = connect(
          { host: '127.0.0.1', port, servername: SERVICE_NAME, rejectUnauthorized: false },
          () => resolve(s),
        );
        s.once('error', reject);
      }),
    );
  }
  return sockets;
}

await main();
