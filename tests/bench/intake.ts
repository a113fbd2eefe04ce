/**
 * `npm run bench:intake`: a flood against a real `kalkan intake serve` (the built CLI, default
 * quotas), then the triage page with 100,000 reports stored.
 *
 * The flood: valid sealed reports (BENCH_FLOOD, default 10,000) from 50 IPv4 addresses
 * (127.0.0.2-51: each connection binds its own loopback source address) and from 2,000 addresses
 * of one IPv6 /64 (2001:db8:64:64::/64). Loopback has no /64 of its own, so those are sent from
 * ::1, which the intake trusts as a proxy (--trust-proxy ::1), with X-Forwarded-For naming the
 * address: the intake sees them exactly as it would see clients behind the unit's TLS proxy.
 * Meanwhile an analyst signs in through the same "proxy". Then the store is filled to
 * BENCH_STORED (default 100,000) reports, and triage pages (random pages, searches) are timed
 * over HTTP after a real TOTP sign-in.
 *
 * The fill writes rows through the store with their real index (keyed tags, AES-GCM summaries)
 * but one sealed body copied under new ids, since sealing 90,000 reports with HPKE would take
 * minutes and the triage page never opens sealed bodies.
 */
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateUnitKeyPair } from '../../reporting/keygen.js';
import { encodeUnitPublicKey, encodeUnitSecretKey } from '../../reporting/keys.js';
import { newReport } from '../../reporting/schema.js';
import { type SealedReport, sealReport } from '../../reporting/seal.js';
import { createAccount } from '../../resolver/intake/accounts.js';
import { OpenedReports } from '../../resolver/intake/opened.js';
import { DEFAULT_REPORT_QUOTAS } from '../../resolver/intake/quotas.js';
import { DATABASE_FILE, IntakeStore } from '../../resolver/intake/store.js';
import { totpCode } from '../../resolver/intake/totp.js';
import { writeUnitParty } from '../../resolver/intake/unit-files.js';
import { startKalkan } from '../helpers/kalkan-process.js';
import { freePort } from '../helpers/ports.js';

const FLOOD = Number(process.env.BENCH_FLOOD ?? 10_000);
const STORED = Number(process.env.BENCH_STORED ?? 100_000);
const PAGES = Number(process.env.BENCH_PAGES ?? 100);
const IPV4_SOURCES = Array.from({ length: 50 }, (_, i) => `127.0.0.${i + 2}`);
const NET64_SOURCES = Array.from(
  { length: 2_000 },
  (_, i) => `2001:db8:64:64::${(i + 1).toString(16)}`,
);
const PASSWORD = 'bench analyst passphrase';

const percentile = (values: number[], p: number) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * p))] ??
  0;

const dir = await mkdtemp(join(tmpdir(), 'kalkan-bench-intake-'));
const dataDir = join(dir, 'data');
const unit = await generateUnitKeyPair();
const keyPath = join(dir, 'unit.key');
await writeFile(keyPath, encodeUnitSecretKey(unit.secretKey), { mode: 0o600 });
await writeFile(join(dir, 'unit.pub'), encodeUnitPublicKey(unit.publicKey));
await writeUnitParty(dir, {
  org: 'Bench Unit',
  contact: 'bench@unit.example',
  domain: 'unit.example',
});
const setup = new IntakeStore(dataDir);
const { secret } = await createAccount(setup, 'bench', PASSWORD, 'analyst', 'bench');
setup.close();

const diskBytes = async () => {
  let total = 0;
  for (const suffix of ['', '-wal', '-shm']) {
    total += await stat(join(dataDir, DATABASE_FILE + suffix)).then(
      (s) => s.size,
      () => 0,
    );
  }
  return total;
};

const port = await freePort();
const serve = () => {
  const server = startKalkan([
    'intake',
    'serve',
    '--listen',
    `[::]:${port}`,
    '--data',
    dataDir,
    '--key',
    keyPath,
    '--trust-proxy',
    '::1',
    '--insecure-cookies',
  ]);
  return server.waitFor(/intake listening on/).then(() => server);
};

interface Answer {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

function send(options: {
  host: string;
  localAddress?: string;
  agent: Agent;
  path: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: options.host,
        port,
        path: options.path,
        method: options.method ?? 'GET',
        agent: options.agent,
        headers: options.headers,
        ...(options.localAddress ? { localAddress: options.localAddress } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString(),
            headers: res.headers,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

// 1. Seal the flood (valid reports, 500 distinct URLs).
console.log(`sealing ${FLOOD} reports…`);
const sealStart = performance.now();
const sealed: SealedReport[] = [];
for (let i = 0; i < FLOOD; i++) {
  sealed.push(
    await sealReport(
      newReport(
        { url: `https://flood-${i % 50}.test/page/${i % 500}`, category: 'csem' },
        { source: 'extension' },
      ),
      unit.publicKey,
    ),
  );
}

console.log(`sealed in ${((performance.now() - sealStart) / 1000).toFixed(0)} s; flooding…`);

// 2. The flood.
let server = await serve();
const diskBefore = await diskBytes();
const agents = new Map<string, Agent>();
const agentFor = (key: string) => {
  const agent = agents.get(key) ?? new Agent({ keepAlive: true, maxSockets: 4 });
  agents.set(key, agent);
  return agent;
};
const statuses = new Map<number, number>();
let signInDuringFlood: Answer | undefined;
const started = performance.now();
let next = 0;
async function worker(): Promise<void> {
  for (let i = next++; i < FLOOD; i = next++) {
    const report = sealed[i] as SealedReport;
    const fromIpv6 = i % 4 === 3;
    const source = fromIpv6
      ? (NET64_SOURCES[i % NET64_SOURCES.length] as string)
      : (IPV4_SOURCES[i % IPV4_SOURCES.length] as string);
    const answer = await send({
      host: fromIpv6 ? '::1' : '127.0.0.1',
      ...(fromIpv6 ? {} : { localAddress: source }),
      agent: agentFor(fromIpv6 ? '::1' : source),
      path: '/v1/reports',
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'idempotency-key': report.id,
        ...(fromIpv6 ? { 'x-forwarded-for': source } : {}),
      },
      body: JSON.stringify(report),
    });
    statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
    if (i === Math.floor(FLOOD / 2)) {
      signInDuringFlood = await send({
        host: '::1',
        agent: agentFor('analyst'),
        path: '/triage/login',
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'x-forwarded-for': '203.0.113.9',
        },
        body: new URLSearchParams({
          user: 'bench',
          password: PASSWORD,
          code: totpCode(secret),
        }).toString(),
      });
    }
  }
}
await Promise.all(Array.from({ length: 32 }, worker));
const floodSeconds = (performance.now() - started) / 1000;
const metrics = (await send({ host: '127.0.0.1', agent: agentFor('m'), path: '/metrics' })).body;
const refusedBy = Object.fromEntries(
  [...metrics.matchAll(/kalkan_intake_reports_refused_total\{reason="(\w+)"\} (\d+)/g)].map(
    ([, r, n]) => [r, Number(n)],
  ),
);
const storedAfterFlood = Number(/^kalkan_intake_reports (\d+)/m.exec(metrics)?.[1] ?? 0);
const diskAfterFlood = await diskBytes();
await server.stop();
const windows = Math.ceil(floodSeconds / 60);
console.log(`flood done in ${floodSeconds.toFixed(1)} s; ${storedAfterFlood} stored; filling…`);

// 3. Fill to STORED reports (real index, copied sealed body), 30,000 URLs on 5,000 hosts.
const store = new IntakeStore(dataDir);
const opened = new OpenedReports(store, unit.secretKey);
const template = sealed[0] as SealedReport;
const fillStart = performance.now();
const missing = Math.max(0, STORED - store.count());
for (let done = 0; done < missing; ) {
  const batch = Math.min(5_000, missing - done);
  store.batch(() => {
    for (let j = 0; j < batch; j++) {
      const n = done + j;
      const id = crypto.randomUUID();
      const receivedAt = new Date(Date.now() - (missing - n) * 1_000).toISOString();
      const report = newReport(
        {
          url: `https://host-${n % 5_000}.test/path/${n % 30_000}`,
          category: 'csem',
          note: `fill ${n}`,
          seenAt: receivedAt,
        },
        { source: 'extension', randomUUID: () => id },
      );
      store.insert({ ...template, id }, receivedAt, opened.index.entry(report, receivedAt));
    }
  });
  done += batch;
}
const fillSeconds = (performance.now() - fillStart) / 1000;
const storedTotal = store.count();
store.close();

// 4. Triage pages with STORED reports.
server = await serve();
const login = await send({
  host: '127.0.0.1',
  agent: agentFor('t'),
  path: '/triage/login',
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams({
    user: 'bench',
    password: PASSWORD,
    code: totpCode(secret, Date.now() + 30_000),
  }).toString(),
});
const cookie = String(login.headers['set-cookie'] ?? '').split(';')[0] ?? '';
if (login.status !== 303 || !cookie)
  throw new Error(`sign-in failed: ${login.status} ${login.body}`);
const pageMs: number[] = [];
let pageBytes = 0;
for (let i = 0; i < PAGES; i++) {
  const path =
    i % 4 === 3
      ? `/triage?q=host-${(i * 37) % 5_000}.test`
      : `/triage?page=${1 + ((i * 97) % 600)}`;
  const t0 = performance.now();
  const answer = await send({ host: '127.0.0.1', agent: agentFor('t'), path, headers: { cookie } });
  pageMs.push(performance.now() - t0);
  if (answer.status !== 200 || !answer.body.includes('Reports ('))
    throw new Error(`triage ${path}: ${answer.status}`);
  pageBytes = Math.max(pageBytes, answer.body.length);
}
await server.stop();
const diskFinal = await diskBytes();
for (const agent of agents.values()) agent.destroy();
await rm(dir, { recursive: true });

const q = DEFAULT_REPORT_QUOTAS;
console.log(
  `flood: ${FLOOD} valid sealed reports from ${IPV4_SOURCES.length} IPv4 addresses and ${NET64_SOURCES.length} addresses of one /64 in ${floodSeconds.toFixed(1)} s (${windows} quota window(s) of 60 s)`,
);
console.log(
  `  answers: ${[...statuses]
    .sort()
    .map(([s, n]) => `${s}×${n}`)
    .join(', ')}; refused by: ${JSON.stringify(refusedBy)}`,
);
console.log(
  `  stored ${storedAfterFlood}; quota allows at most ${q.global.perMinute * windows} in all, ${q.perNet64.perMinute * windows} from the /64, ${q.perAddress.perMinute * windows} per address`,
);
console.log(
  `  disk: ${(diskBefore / 1024).toFixed(0)} KiB before, ${(diskAfterFlood / 1024).toFixed(0)} KiB after (+${((diskAfterFlood - diskBefore) / 1024).toFixed(0)} KiB)`,
);
console.log(
  `  analyst sign-in through the proxy during the flood: HTTP ${signInDuringFlood?.status}`,
);
console.log(
  `fill: ${storedTotal} reports stored (${fillSeconds.toFixed(1)} s to add the rest); database ${(diskFinal / 1024 ** 2).toFixed(1)} MiB`,
);
console.log(
  `triage page over HTTP with ${storedTotal} reports: p50 ${percentile(pageMs, 0.5).toFixed(1)} ms, p95 ${percentile(pageMs, 0.95).toFixed(1)} ms, max ${Math.max(...pageMs).toFixed(1)} ms (${PAGES} pages: random pages and host searches; largest ${(pageBytes / 1024).toFixed(0)} KiB)`,
);
const ok =
  storedAfterFlood <= q.global.perMinute * windows &&
  signInDuringFlood?.status === 303 &&
  percentile(pageMs, 0.95) < 200;
console.log(ok ? 'PASS: quotas held, analyst signed in, p95 < 200 ms' : 'FAIL');
process.exitCode = ok ? 0 : 1;
