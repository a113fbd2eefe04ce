/**
 * `npm run bench:encrypted` (issue 14): DNS over TLS and DNS over HTTPS, Kalkan beside Unbound
 * serving DoT/DoH itself (Debian's Unbound has both), configured alike: one thread each (Kalkan
 * `workers: 1`, one Node process; Unbound `num-threads: 1`), the same list, the same upstream,
 * the same idle timeout (30 s) and connection slots. The same load for both: 1,000 concurrent
 * connections (dnsperf `-m dot -c 1000` for DoT; h2load `-c 1000` for DoH, see lib/h2load.ts),
 * two queries in flight on each, for a blocked mix and a cached mix:
 *
 * - QPS at full speed, the server's CPU time per query, lost or failed queries;
 * - p99 at a fixed offered load (2 queries a second on each of the 1,000 connections);
 * - RSS after the load and its peak (VmHWM), from /proc;
 * - RSS growth per idle connection: on a fresh server, N connections opened (DoT: handshake
 *   done; DoH: HTTP/2 started) and left idle, (RSS after − RSS before) / N.
 *
 * Both servers run at once and the rounds interleave them (A B, then B A), so a busy spell on
 * the machine falls on both; medians over the rounds. `-- --quick` is a short smoke run (fewer
 * connections, names and seconds, one round); `-- --connections=N` sets the connection count.
 * Prints a table and writes tests/bench/results/encrypted-latest.{json,md}.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { appendFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect as connectHttp2 } from 'node:http2';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateDomains } from '../helpers/generated-list.js';
import { freePort } from '../helpers/ports.js';
import { makeTestCa, SERVICE_NAME } from '../helpers/test-ca.js';
import { latency, load } from './lib/dnsperf.js';
import { dohQuery, h2load } from './lib/h2load.js';
import { openIdle } from './lib/idle-connections.js';
import { kalkanServer, prepareKalkan } from './lib/kalkan.js';
import { encryptedUnbound, filteringUnbound, upstreamUnbound } from './lib/peers.js';
import {
  acceptsConnections,
  type Launch,
  type ServerProcess,
  startServer,
} from './lib/server-process.js';

const QUICK = process.argv.includes('--quick');
const CONNECTIONS = Number(
  process.argv.find((a) => a.startsWith('--connections='))?.slice('--connections='.length) ??
    (QUICK ? 200 : 1000),
);
const ENTRIES = QUICK ? 10_000 : 100_000;
const ROUNDS = QUICK ? 1 : 3;
/** DoT (dnsperf -l): seconds a full-speed run lasts. */
const LOAD_SECONDS = QUICK ? 2 : 5;
/** DoH (h2load -n): requests each connection sends in a full-speed run (a few seconds). */
const DOH_REQUESTS_PER_CONNECTION = QUICK ? 20 : 40;
const LATENCY_SECONDS = QUICK ? 2 : 3;
/** Queries in flight on each connection at full speed (dnsperf -q = 2 × -c; h2load -m 2). */
const IN_FLIGHT = 2;
/** The fixed load p99 is measured at: queries a second on each connection. */
const LATENCY_RPS_PER_CONNECTION = 2;
const LATENCY_QPS = CONNECTIONS * LATENCY_RPS_PER_CONNECTION;
/** Unbound's default tcp-idle-timeout, given to Kalkan too (its own default is 10 s). */
const IDLE_TIMEOUT_MS = 30_000;
/** Connection slots per port for both (see encryptedUnbound: Unbound needs twice the load). */
const SLOTS = CONNECTIONS * 2 + 100;
const RESULTS = fileURLToPath(new URL('./results/', import.meta.url));

const SERVERS = ['kalkan', 'unbound'] as const;
const MODES = ['dot', 'doh'] as const;
const WORKLOADS = ['blocked', 'cached'] as const;
type ServerName = (typeof SERVERS)[number];
type Mode = (typeof MODES)[number];
type Workload = (typeof WORKLOADS)[number];

interface Ports {
  plain: number;
  dot: number;
  doh: number;
}

/** How to start one instance of a server on fresh ports. */
type Launcher = () => Promise<{ launch: Launch; ports: Ports }>;

interface Sample {
  server: ServerName;
  mode: Mode;
  workload: Workload;
  round: number;
  qps: number;
  /** Lost (DoT) or failed/non-2xx (DoH) queries in the full-speed run. */
  lost: number;
  cpu_us_per_query: number;
  p99_ms: number;
}

type Figures = Omit<Sample, 'server' | 'mode' | 'workload' | 'round'>;

interface ServerFigures {
  load: Record<Mode, Record<Workload, Figures>>;
  rss_after_load_mb: number;
  rss_peak_mb: number;
  /** RSS growth per idle connection, in kB, on a fresh server. */
  idle_kb_per_connection: Record<Mode, number>;
  /**
   * The same for the server's own memory (RssAnon): leaves out program pages the first
   * handshakes bring back (Kalkan hands back its start-up pages, so TLS code returns here).
   */
  idle_own_kb_per_connection: Record<Mode, number>;
}

const mb = (bytes: number) => Math.round((bytes / 1048576) * 10) / 10;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The load tools inherit this process's open-file limit (Node raised its soft limit to the hard
 * one): the idle phase holds 1,000 connections here and as many in the server; dnsperf needs one
 * descriptor per connection.
 */
function checkFileLimit(): void {
  const line = readFileSync('/proc/self/limits', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('Max open files'));
  const soft = Number(line?.split(/\s{2,}/)[1]);
  const needed = CONNECTIONS * 2 + 200;
  if (soft < needed)
    throw new Error(
      `open-file limit ${soft} is below the ${needed} this run needs: raise it (ulimit -Hn, or LimitNOFILE for a service)`,
    );
}

async function main(): Promise<void> {
  checkFileLimit();
  const started = performance.now();
  const dir = await mkdtemp(join(tmpdir(), 'kalkan-bench-enc-'));
  const running: ServerProcess[] = [];
  const loadBefore = loadavg()[0] as number;
  console.log(
    `${CONNECTIONS} connections, ${ENTRIES.toLocaleString('en')} listed names, ${ROUNDS} round(s) of ${LOAD_SECONDS} s at full speed and ${LATENCY_SECONDS} s at ${LATENCY_QPS} qps${QUICK ? ' (quick)' : ''}; load average ${loadBefore.toFixed(2)}`,
  );
  try {
    const ca = await makeTestCa(dir);
    const pair = await ca.issue('server');
    const blocked = generateDomains(ENTRIES, 14);
    const allowed = Array.from({ length: 1000 }, (_, i) => `a${i}.bench.test`);
    const upstreamPort = await freePort();
    running.push(
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
    const setup = await prepareKalkan(dir, blocked);

    const freePorts = async (): Promise<Ports> => ({
      plain: await freePort(),
      dot: await freePort(),
      doh: await freePort(),
    });
    const launchers: Record<ServerName, Launcher> = {
      async kalkan() {
        const ports = await freePorts();
        const base = await kalkanServer(setup, ports.plain, upstreamPort, 1, undefined, true);
        // Every connection comes from 127.0.0.1: the per-client cap goes up with the total.
        const tcp = `tcp: {maxConnections: ${SLOTS}, maxConnectionsPerClient: ${SLOTS}, idleTimeoutMs: ${IDLE_TIMEOUT_MS}}`;
        const config = base.args.indexOf('--config') + 1;
        await appendFile(base.args[config] as string, `${tcp}\n`);
        const args = [
          ...base.args,
          ...['--dot', `127.0.0.1:${ports.dot}`, '--doh', `127.0.0.1:${ports.doh}`],
          ...['--tls-cert', pair.cert, '--tls-key', pair.key],
        ];
        return { launch: { command: base.command, args }, ports };
      },
      async unbound() {
        const ports = await freePorts();
        const filtering = await filteringUnbound(dir, ports.plain, upstreamPort, blocked);
        const launch = await encryptedUnbound(filtering, ports, pair, {
          slots: SLOTS,
          idleTimeoutMs: IDLE_TIMEOUT_MS,
        });
        return { launch, ports };
      },
    };
    const start = async (name: ServerName) => {
      const { launch, ports } = await launchers[name]();
      const server = await startServer(name, launch, ports.plain, {
        name: blocked[0] as string,
        rcode: 3,
      });
      running.push(server);
      // The plain listener answers first: Kalkan opens its DoT and DoH listeners after it.
      await acceptsConnections(ports.dot);
      await acceptsConnections(ports.doh);
      return { server, ports };
    };

    // Memory per idle connection, each on a fresh server: after a load, freed buffers would be
    // reused and the growth understated.
    const idle = {} as Record<ServerName, Record<Mode, number>>;
    const idleOwn = {} as Record<ServerName, Record<Mode, number>>;
    const perConnectionKb = (bytes: number) => Math.round((bytes / CONNECTIONS / 1024) * 10) / 10;
    for (const name of SERVERS) {
      idle[name] = {} as Record<Mode, number>;
      idleOwn[name] = {} as Record<Mode, number>;
      for (const mode of MODES) {
        const { server, ports } = await start(name);
        await sleep(1000);
        const before = server.rssBytes();
        const ownBefore = server.privateBytes();
        const connections = await openIdle(mode, ports[mode], CONNECTIONS, SERVICE_NAME);
        await sleep(1000);
        const after = server.rssBytes();
        const ownAfter = server.privateBytes();
        const open = connections.open();
        connections.close();
        await server.stop();
        if (open !== CONNECTIONS)
          throw new Error(`${name} closed ${CONNECTIONS - open} idle ${mode} connections early`);
        idle[name][mode] = perConnectionKb(after - before);
        idleOwn[name][mode] = perConnectionKb(ownAfter - ownBefore);
        console.log(
          `${name}: ${idle[name][mode]} kB per idle ${mode} connection, own ${idleOwn[name][mode]} kB (${CONNECTIONS} held: RSS ${mb(before)} → ${mb(after)} MB)`,
        );
      }
    }

    // The load: both servers up, the rounds interleaved.
    const servers = {} as Record<ServerName, { server: ServerProcess; ports: Ports }>;
    for (const name of SERVERS) {
      servers[name] = await start(name);
      await checkDohAnswers(name, servers[name].ports.doh, files);
      // Warm the cache (the cached mix's names) and each server's DoT and DoH code paths (Node
      // compiles its HTTP/2 modules on first use), the same for both.
      await load({
        port: servers[name].ports.dot,
        queryFile: files.cached,
        mode: 'dot',
        seconds: 1,
      });
      await h2load({
        url: `https://127.0.0.1:${servers[name].ports.doh}/dns-query`,
        bodyFile: files.body.cached,
        logFile: join(dir, `h2load-${name}-warm.log`),
        clients: 50,
        streams: IN_FLIGHT,
        requests: 5000,
      });
    }
    const samples: Sample[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? SERVERS : ([...SERVERS].reverse() as ServerName[]);
      for (const mode of MODES) {
        for (const workload of WORKLOADS) {
          for (const name of order) {
            const { server, ports } = servers[name];
            const sample = await measure(server, ports[mode], mode, workload, files, dir, round);
            samples.push(sample);
            console.log(
              `round ${round + 1} ${name} ${mode} ${workload}: ${sample.qps} qps, ${sample.cpu_us_per_query} µs CPU/query, ${sample.lost} lost, p99 ${sample.p99_ms.toFixed(2)} ms at ${LATENCY_QPS} qps`,
            );
          }
        }
      }
    }
    const figures = {} as Record<ServerName, ServerFigures>;
    for (const name of SERVERS) {
      const { server } = servers[name];
      figures[name] = {
        load: summarise(samples.filter((s) => s.server === name)),
        rss_after_load_mb: mb(server.rssBytes()),
        rss_peak_mb: mb(server.peakRssBytes()),
        idle_kb_per_connection: idle[name],
        idle_own_kb_per_connection: idleOwn[name],
      };
      await server.stop();
    }
    const ratios = ratiosOf(figures);
    const result = {
      date: new Date().toISOString(),
      quick: QUICK,
      machine: {
        cpus: cpus().length,
        cpu: cpus()[0]?.model,
        memory_gb: Math.round(totalmem() / 2 ** 30),
        load_average_before: loadBefore,
        load_average_after: loadavg()[0],
      },
      versions: {
        node: process.version,
        unbound: version('unbound', ['-V']),
        dnsperf: version('dnsperf', ['-h']),
        h2load: version('h2load', ['--version']),
      },
      setup: {
        threads: 'one each: Kalkan workers: 1 (one Node process), Unbound num-threads: 1',
        connections: CONNECTIONS,
        in_flight_per_connection: IN_FLIGHT,
        list_entries: ENTRIES,
        rounds: ROUNDS,
        load_seconds: LOAD_SECONDS,
        latency_seconds: LATENCY_SECONDS,
        latency_offered_qps: LATENCY_QPS,
        idle_timeout_ms: IDLE_TIMEOUT_MS,
        connection_slots_per_port: SLOTS,
        dot_client: `dnsperf -m dot -c ${CONNECTIONS} -q ${CONNECTIONS * IN_FLIGHT} -T 1 (blocked: the ${ENTRIES} listed names in turn; cached: 1,000 names)`,
        doh_client: `h2load -c ${CONNECTIONS} -m ${IN_FLIGHT} -n ${CONNECTIONS * DOH_REQUESTS_PER_CONNECTION} (--rps=${LATENCY_RPS_PER_CONNECTION} for p99), POST of one repeated query per mix`,
      },
      servers: figures,
      ratios,
      samples,
      seconds: Math.round((performance.now() - started) / 1000),
    };
    await mkdir(RESULTS, { recursive: true });
    await writeFile(join(RESULTS, 'encrypted-latest.json'), `${JSON.stringify(result, null, 2)}\n`);
    const table = markdown(figures, ratios);
    await writeFile(join(RESULTS, 'encrypted-latest.md'), table);
    console.log(`\n${table}\n${result.seconds} s in all`);
  } finally {
    for (const s of running) await s.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

interface QueryFiles {
  /** dnsperf's input: the listed names in turn / the upstream's allowed names in turn. */
  blocked: string;
  cached: string;
  /** h2load's one POST body per mix. */
  body: Record<Workload, string>;
}

async function queryFiles(dir: string, blocked: string[], allowed: string[]): Promise<QueryFiles> {
  const files: QueryFiles = {
    blocked: join(dir, 'blocked.txt'),
    cached: join(dir, 'cached.txt'),
    body: { blocked: join(dir, 'blocked.bin'), cached: join(dir, 'cached.bin') },
  };
  await writeFile(files.blocked, `${blocked.map((n) => `${n} A`).join('\n')}\n`);
  await writeFile(files.cached, `${allowed.map((n) => `${n} A`).join('\n')}\n`);
  await writeFile(files.body.blocked, dohQuery(blocked[0] as string));
  await writeFile(files.body.cached, dohQuery(allowed[0] as string));
  return files;
}

/** What a DoH POST of `body` gets: its HTTP status and the answer's RCODE. */
function dohAnswer(port: number, body: Buffer): Promise<{ status: number; rcode: number }> {
  return new Promise((resolve, reject) => {
    const session = connectHttp2(`https://127.0.0.1:${port}`, {
      servername: SERVICE_NAME,
      rejectUnauthorized: false,
    });
    session.once('error', reject);
    const req = session.request({
      ':method': 'POST',
      ':path': '/dns-query',
      'content-type': 'application/dns-message',
    });
    let status = 0;
    const chunks: Buffer[] = [];
    req.on('response', (headers) => {
      status = Number(headers[':status']);
    });
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => {
      session.close();
      resolve({ status, rcode: ((Buffer.concat(chunks)[3] ?? 0xff) as number) & 0x0f });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** h2load sees only HTTP statuses: the answers behind them are checked once here. */
async function checkDohAnswers(name: string, port: number, files: QueryFiles): Promise<void> {
  for (const [workload, rcode] of [
    ['blocked', 3],
    ['cached', 0],
  ] as const) {
    const answer = await dohAnswer(port, await readFile(files.body[workload]));
    if (answer.status !== 200 || answer.rcode !== rcode)
      throw new Error(
        `${name} DoH ${workload}: HTTP ${answer.status}, RCODE ${answer.rcode} (expected 200, ${rcode})`,
      );
  }
}

interface Run {
  qps: number;
  /** Lost (DoT) or failed/non-2xx (DoH) queries in the full-speed run. */
  lost: number;
  answered: number;
  /** The server's CPU seconds over the full-speed run. */
  cpuSeconds: number;
  p99Ms: number;
}

async function measure(
  server: ServerProcess,
  port: number,
  mode: Mode,
  workload: Workload,
  files: QueryFiles,
  dir: string,
  round: number,
): Promise<Sample> {
  const run =
    mode === 'dot'
      ? await dotRun(server, port, workload, files)
      : await dohRun(server, port, workload, files, join(dir, `h2load-${server.name}-${round}`));
  return {
    server: server.name as ServerName,
    mode,
    workload,
    round,
    qps: Math.round(run.qps),
    lost: run.lost,
    cpu_us_per_query: Math.round((run.cpuSeconds / run.answered) * 1e7) / 10,
    p99_ms: Math.round(run.p99Ms * 1000) / 1000,
  };
}

async function dotRun(
  server: ServerProcess,
  port: number,
  workload: Workload,
  files: QueryFiles,
): Promise<Run> {
  const common = {
    port,
    queryFile: files[workload],
    mode: 'dot' as const,
    clients: CONNECTIONS,
    outstanding: CONNECTIONS * IN_FLIGHT,
  };
  const cpuBefore = server.cpuSeconds();
  const r = await load({ ...common, seconds: LOAD_SECONDS });
  const cpuSeconds = server.cpuSeconds() - cpuBefore;
  const expected = workload === 'blocked' ? 'NXDOMAIN' : 'NOERROR';
  if ((r.rcodes[expected] ?? 0) < r.completed * 0.98)
    throw new Error(`${server.name} dot ${workload}: answers ${JSON.stringify(r.rcodes)}`);
  const l = await latency({ ...common, seconds: LATENCY_SECONDS, maxQps: LATENCY_QPS });
  return { qps: r.qps, lost: r.lost, answered: r.completed, cpuSeconds, p99Ms: l.p99Ms };
}

async function dohRun(
  server: ServerProcess,
  port: number,
  workload: Workload,
  files: QueryFiles,
  logPrefix: string,
): Promise<Run> {
  const common = {
    url: `https://127.0.0.1:${port}/dns-query`,
    bodyFile: files.body[workload],
    clients: CONNECTIONS,
    streams: IN_FLIGHT,
  };
  const cpuBefore = server.cpuSeconds();
  const h = await h2load({
    ...common,
    logFile: `${logPrefix}-${workload}.log`,
    requests: CONNECTIONS * DOH_REQUESTS_PER_CONNECTION,
  });
  const cpuSeconds = server.cpuSeconds() - cpuBefore;
  const l = await h2load({
    ...common,
    logFile: `${logPrefix}-${workload}-latency.log`,
    requests: LATENCY_QPS * LATENCY_SECONDS,
    rps: LATENCY_RPS_PER_CONNECTION,
  });
  return { qps: h.qps, lost: h.failed, answered: h.succeeded, cpuSeconds, p99Ms: l.p99Ms };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

/** Medians over the rounds; lost queries summed. */
function summarise(samples: Sample[]): Record<Mode, Record<Workload, Figures>> {
  const out = {} as Record<Mode, Record<Workload, Figures>>;
  for (const mode of MODES) {
    out[mode] = {} as Record<Workload, Figures>;
    for (const workload of WORKLOADS) {
      const these = samples.filter((s) => s.mode === mode && s.workload === workload);
      out[mode][workload] = {
        qps: Math.round(median(these.map((s) => s.qps))),
        lost: these.reduce((n, s) => n + s.lost, 0),
        cpu_us_per_query: Math.round(median(these.map((s) => s.cpu_us_per_query)) * 10) / 10,
        p99_ms: Math.round(median(these.map((s) => s.p99_ms)) * 1000) / 1000,
      };
    }
  }
  return out;
}

/** Kalkan ÷ Unbound: QPS ≥ 1 is the target; for p99, CPU and memory lower is better. */
function ratiosOf(f: Record<ServerName, ServerFigures>): Record<string, number> {
  const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;
  const out: Record<string, number> = {};
  for (const mode of MODES) {
    for (const workload of WORKLOADS) {
      const k = f.kalkan.load[mode][workload];
      const u = f.unbound.load[mode][workload];
      out[`${mode}_${workload}_qps_vs_unbound`] = ratio(k.qps, u.qps);
      out[`${mode}_${workload}_cpu_per_query_vs_unbound`] = ratio(
        k.cpu_us_per_query,
        u.cpu_us_per_query,
      );
      out[`${mode}_${workload}_p99_vs_unbound`] = ratio(k.p99_ms, u.p99_ms);
    }
  }
  out.rss_after_load_vs_unbound = ratio(f.kalkan.rss_after_load_mb, f.unbound.rss_after_load_mb);
  out.rss_peak_vs_unbound = ratio(f.kalkan.rss_peak_mb, f.unbound.rss_peak_mb);
  return out;
}

function markdown(f: Record<ServerName, ServerFigures>, ratios: Record<string, number>): string {
  const rows: string[] = [];
  for (const mode of MODES) {
    for (const workload of WORKLOADS) {
      const cells = SERVERS.map((name) => {
        const x = f[name].load[mode][workload];
        return `${x.qps} / ${x.cpu_us_per_query} / ${x.p99_ms.toFixed(2)} / ${x.lost}`;
      });
      rows.push(
        `| ${mode} ${workload} | ${cells.join(' | ')} | ${ratios[`${mode}_${workload}_qps_vs_unbound`]} |`,
      );
    }
  }
  const memory = SERVERS.map(
    (name) =>
      `| ${name} | ${f[name].rss_after_load_mb} | ${f[name].rss_peak_mb} | ${f[name].idle_kb_per_connection.dot} / ${f[name].idle_own_kb_per_connection.dot} | ${f[name].idle_kb_per_connection.doh} / ${f[name].idle_own_kb_per_connection.doh} |`,
  );
  return [
    `${CONNECTIONS} connections; QPS at full speed / CPU µs per query / p99 ms at ${LATENCY_QPS} qps / lost (medians of ${ROUNDS} round(s))`,
    '',
    '| mix | kalkan | unbound | QPS kalkan ÷ unbound |',
    '|---|---|---|---|',
    ...rows,
    '',
    '| server | RSS MB after load | RSS MB peak | kB per idle DoT connection: RSS / own | kB per idle DoH connection: RSS / own |',
    '|---|---|---|---|---|',
    ...memory,
    '',
    '| ratio (kalkan ÷ unbound) | value |',
    '|---|---|',
    ...Object.entries(ratios).map(([k, v]) => `| ${k} | ${v} |`),
    '',
  ].join('\n');
}

/** The first line of a tool's version output that names a version. */
function version(command: string, args: string[]): string {
  let text: string;
  try {
    text = execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    text = (error as { stdout?: string }).stdout ?? '';
  }
  return (
    text
      .split('\n')
      .find((l) => /\d+\.\d+/.test(l))
      ?.trim() ?? 'unknown'
  );
}

await main();
