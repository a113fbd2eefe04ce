/**
 * One smoke test for each `kalkan serve` setting and flag no other test exercises: cluster
 * mode (`workers`), `queryLog`, `logLevel`, `status: null`, `refreshSeconds`, the TCP limits,
 * the sinkhole's IPv6 address and TTL, the command-line flags, the /etc/resolv.conf default and
 * GET /healthz. Each runs the built `kalkan` against the wildcard upstream, so a block shows
 * Kalkan's EDE.
 */
import { execFile } from 'node:child_process';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { promisify } from 'node:util';
import dnsPacket from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LongRunning, runKalkan, startKalkan as startCli } from '../helpers/kalkan-process.js';
import { freePort } from '../helpers/ports.js';
import {
  BLOCKED_BY_KALKAN,
  DEMO_ABUSE,
  DEMO_PUB,
  demoSignedBundle,
  dig,
  type Kalkan,
  startKalkan,
  startUnbound,
  statusOf,
  tempDir,
  type Unbound,
  UPSTREAM_WILDCARD,
  waitFor,
} from '../helpers/resolver.js';

const run = promisify(execFile);
let tmp: Awaited<ReturnType<typeof tempDir>>;
let unbound: Unbound;
const servers: Kalkan[] = [];
const closers: (() => Promise<void>)[] = [];

// refreshSeconds has a floor of 60 s: this server starts first and is checked last.
const REFRESH_SECONDS = 60;
let refreshing: Kalkan;
const subscriptionRequests: { at: number; conditional: boolean }[] = [];
let refreshStartedAt = 0;

beforeAll(async () => {
  tmp = await tempDir('kalkan-surfaces-');
  unbound = await startUnbound(tmp.dir, ['allowed.test. 300 IN A 192.0.2.10'], ['test.']);
  const bundle = await demoSignedBundle(['subscribed.test'], {
    id: 'subscription',
    category: 'abuse',
    sequence: 1,
  });
  const http: Server = createServer((req, res) => {
    const fresh = req.headers['if-none-match'] === '"v1"';
    subscriptionRequests.push({ at: Date.now(), conditional: fresh });
    res.writeHead(fresh ? 304 : 200, { etag: '"v1"' }).end(fresh ? undefined : bundle);
  });
  const httpPort = await freePort();
  await new Promise<void>((r) => http.listen(httpPort, '127.0.0.1', () => r()));
  closers.push(() => new Promise<void>((r) => http.close(() => r())));
  refreshStartedAt = Date.now();
  refreshing = await start({
    lists: [{ url: `http://127.0.0.1:${httpPort}/list.klb` }],
    refreshSeconds: REFRESH_SECONDS,
  });
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  for (const close of closers) await close();
  await unbound?.stop();
  await tmp?.remove();
});

async function start(
  config: Record<string, unknown>,
  ready?: (port: number) => Promise<boolean>,
): Promise<Kalkan> {
  const k = await startKalkan(
    tmp.dir,
    { upstreams: [`127.0.0.1:${unbound.port}`], ...config },
    ready,
  );
  servers.push(k);
  return k;
}

function expectBlocked(digOutput: string): void {
  expect(statusOf(digOutput)).toBe('NXDOMAIN');
  expect(digOutput).toMatch(BLOCKED_BY_KALKAN);
}

async function childPids(pid: number): Promise<number[]> {
  const { stdout } = await run('pgrep', ['-P', String(pid)]).catch(() => ({ stdout: '' }));
  return stdout.split('\n').filter(Boolean).map(Number);
}

describe('workers (cluster mode)', () => {
  it('runs N worker processes on one address, each blocking, and restarts one that dies', async () => {
    const k = await start({ workers: 2 });
    const readyLines = () => k.stdout().match(/kalkan serve ready/g)?.length ?? 0;
    await waitFor(async () => readyLines() >= 2, 30_000, 'two workers ready');
    const workers = await childPids(k.child.pid as number);
    expect(workers).toHaveLength(2);
    for (let i = 0; i < 6; i++) expectBlocked(await dig(k.port, `w${i}.abuse-demo.test`));
    expect(await dig(k.port, 'allowed.test', 'A', ['+short'])).toContain('192.0.2.10');

    process.kill(workers[0] as number, 'SIGKILL');
    await waitFor(async () => /worker \d exited \(SIGKILL\); starting it again/.test(k.stderr()));
    await waitFor(async () => readyLines() >= 3, 30_000, 'the restarted worker ready');
    const after = await childPids(k.child.pid as number);
    expect(after).toHaveLength(2);
    expect(after).not.toContain(workers[0]);
    for (let i = 0; i < 6; i++) expectBlocked(await dig(k.port, `v${i}.abuse-demo.test`));
  });
});

describe('queryLog', () => {
  it('logs each query (client, name, type, rcode) only when switched on', async () => {
    const logged = await start({ queryLog: true });
    expectBlocked(await dig(logged.port, 'logged.abuse-demo.test'));
    expect(await dig(logged.port, 'allowed.test', 'A', ['+short'])).toContain('192.0.2.10');
    await waitFor(async () => logged.stdout().includes('"name":"allowed.test"'));
    const lines = logged
      .stdout()
      .split('\n')
      .filter((l) => l.includes('"kind":"query-log"'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toContainEqual(
      expect.objectContaining({
        client: '127.0.0.1',
        name: 'logged.abuse-demo.test',
        type: 'A',
        rcode: 'NXDOMAIN',
        category: 'abuse',
      }),
    );
    expect(lines).toContainEqual(
      expect.objectContaining({ name: 'allowed.test', rcode: 'NOERROR' }),
    );

    // By default nothing of a child's browsing reaches the log: the same queries, answered,
    // leave no name behind.
    const quiet = await start({});
    expectBlocked(await dig(quiet.port, 'logged.abuse-demo.test'));
    expect(await dig(quiet.port, 'allowed.test', 'A', ['+short'])).toContain('192.0.2.10');
    await quiet.stop(); // flushes the log
    expect(quiet.stdout()).toContain('"msg":"stopped"');
    expect(quiet.stdout()).not.toContain('allowed.test');
    expect(quiet.stdout()).not.toContain('logged.abuse-demo.test');
  });
});

describe('logLevel, status: null, /healthz', () => {
  it('logLevel: warn leaves out the info lines the default level writes', async () => {
    const quiet = await start({ logLevel: 'warn' }, async (port) =>
      (await dig(port, 'allowed.test', 'A', ['+short'])).includes('192.0.2.10'),
    );
    expectBlocked(await dig(quiet.port, 'abuse-demo.test'));
    await quiet.stop();
    expect(quiet.child.exitCode).toBe(0);
    // the default level logged "kalkan serve ready" and "stopped" (level 30) for every other server
    expect(quiet.stdout()).not.toContain('"level":30');
    expect(quiet.stdout()).not.toContain('kalkan serve ready');
  });

  it('serves GET /healthz on the status address', async () => {
    const k = await start({});
    const res = await fetch(`http://127.0.0.1:${k.statusPort}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('ok\n');
  });

  it('status: null opens no status page while DNS is served', async () => {
    const k = await start({ status: null });
    expectBlocked(await dig(k.port, 'abuse-demo.test'));
    await expect(fetch(`http://127.0.0.1:${k.statusPort}/healthz`)).rejects.toThrow();
  });
});

describe('block: sinkholeIPv6 and ttl', () => {
  it('answers AAAA with the IPv6 sinkhole and both families with the configured TTL', async () => {
    const k = await start({
      block: {
        mode: 'sinkhole',
        sinkholeIPv4: '192.0.2.254',
        sinkholeIPv6: '2001:db8::254',
        ttl: 42,
      },
    });
    const aaaa = await dig(k.port, 'abuse-demo.test', 'AAAA');
    expect(aaaa).toMatch(/abuse-demo\.test\.\s+42\s+IN\s+AAAA\s+2001:db8::254/);
    expect(aaaa).toMatch(BLOCKED_BY_KALKAN);
    const a = await dig(k.port, 'www.abuse-demo.test', 'A');
    expect(a).toMatch(/www\.abuse-demo\.test\.\s+42\s+IN\s+A\s+192\.0\.2\.254/);
  });
});

describe('tcp limits', () => {
  const openSockets: Socket[] = [];
  afterAll(() => {
    for (const s of openSockets) s.destroy();
  });

  const open = (port: number) =>
    new Promise<Socket>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => resolve(socket));
      socket.on('error', reject);
      openSockets.push(socket);
    });

  it('tcp.maxConnections: a connection beyond the cap is closed without an answer', async () => {
    const k = await start({ tcp: { maxConnections: 2, idleTimeoutMs: 60_000 } });
    expect(await dig(k.port, 'allowed.test', 'A', ['+tcp', '+short'])).toContain('192.0.2.10');
    const held = [await open(k.port), await open(k.port)];
    const refused = await dig(k.port, 'allowed.test', 'A', ['+tcp']).then(
      (out) => `answered: ${out}`,
      (error: { stdout?: string }) => String(error.stdout),
    );
    expect(refused).toMatch(/end of file|connection reset/);
    for (const s of held) s.destroy();
    await waitFor(async () =>
      (await dig(k.port, 'allowed.test', 'A', ['+tcp', '+short'])).includes('192.0.2.10'),
    );
  });

  it('tcp.maxInFlightPerConnection: pipelined queries reach the upstream one at a time', async () => {
    const upstream = await holdingUpstream();
    closers.push(upstream.close);
    const names = Array.from({ length: 5 }, (_, i) => `inflight${i}.test`);
    const limited = await start({
      upstreams: [`127.0.0.1:${upstream.port}`],
      tcp: { maxInFlightPerConnection: 1 },
    });
    expect(await pipelinedRcodes(limited.port, names)).toEqual([0, 0, 0, 0, 0]);
    expect(upstream.maxOutstanding()).toBe(1);
    // the control: with the default limit (16) the same queries overlap at the upstream
    upstream.reset();
    const open16 = await start({ upstreams: [`127.0.0.1:${upstream.port}`] });
    expect(
      await pipelinedRcodes(
        open16.port,
        names.map((n) => `again.${n}`),
      ),
    ).toEqual([0, 0, 0, 0, 0]);
    expect(upstream.maxOutstanding()).toBeGreaterThan(1);
  });
});

describe('kalkan serve flags and defaults', () => {
  let cli: LongRunning | undefined;
  afterAll(() => cli?.stop());

  it('--listen --upstream --list --trust --status replace the embedded default', async () => {
    const port = await freePort();
    const statusPort = await freePort();
    cli = startCli([
      'serve',
      '--listen',
      `127.0.0.1:${port}`,
      '--upstream',
      `127.0.0.1:${unbound.port}`,
      '--list',
      DEMO_ABUSE,
      '--trust',
      DEMO_PUB,
      '--status',
      `127.0.0.1:${statusPort}`,
    ]);
    await cli.waitFor(/kalkan serve ready/);
    expectBlocked(await dig(port, 'abuse-demo.test'));
    // only the abuse list was given: the default's adult list is not in force
    expect(await dig(port, 'adult-demo.test', 'A', ['+short'])).toContain(UPSTREAM_WILDCARD.A);
    const page = await (await fetch(`http://127.0.0.1:${statusPort}/`)).text();
    expect(page).toContain(`127.0.0.1:${unbound.port}`);
    expect(page).toContain('demo-abuse');
    expect(page).not.toContain('demo-adult');
  });

  it('takes its upstreams from /etc/resolv.conf when none are configured', async () => {
    const text = await readFile('/etc/resolv.conf', 'utf8').catch(() => '');
    const expected = [...text.matchAll(/^\s*nameserver\s+(\S+)/gm)].map((m) =>
      (m[1] as string).includes(':') ? `[${m[1]}]:53` : `${m[1]}:53`,
    );
    // Only blocked names are asked, so nothing leaves the machine.
    const k = await start({ upstreams: [] });
    expectBlocked(await dig(k.port, 'abuse-demo.test'));
    const page = await (await fetch(`http://127.0.0.1:${k.statusPort}/`)).text();
    const rows = /<table id="upstreams">.*?<tbody>(.*?)<\/tbody>/s.exec(page)?.[1] ?? '';
    for (const upstream of expected) expect(rows).toContain(upstream);
    if (expected.length === 0) expect(k.stderr() + k.stdout()).toContain('no upstreams');
  });

  it('names a bad flag and a bad refreshSeconds, with the key and line', async () => {
    const flag = await runKalkan(['serve', '--listen', 'nowhere']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/--listen: "nowhere" has no :PORT/);
    const { writeFile } = await import('node:fs/promises');
    const bad = `${tmp.dir}/refresh.yaml`;
    await writeFile(bad, `upstreams: [127.0.0.1:9]\nrefreshSeconds: 5\n`);
    const refresh = await runKalkan(['serve', '--check', '--config', bad]);
    expect(refresh.code).toBe(1);
    expect(refresh.stderr).toMatch(/refresh\.yaml:2: refreshSeconds: .*60/);
  });
});

describe('refreshSeconds', () => {
  it('fetches the subscription again every refreshSeconds, with a conditional GET', async () => {
    expectBlocked(await dig(refreshing.port, 'www.subscribed.test'));
    // The fetches at start come at once; the scheduled one after REFRESH_SECONDS (a timer never
    // fires early; 1 s of slack for the clock reads).
    const scheduled = () =>
      subscriptionRequests.filter((r) => r.at - refreshStartedAt >= (REFRESH_SECONDS - 1) * 1000);
    await waitFor(
      async () => scheduled().length >= 1,
      (REFRESH_SECONDS + 30) * 1000,
      'the scheduled refresh',
    );
    expect(scheduled()[0]?.conditional).toBe(true);
  }, 120_000);
});

/**
 * A UDP upstream that answers every A query with UPSTREAM_WILDCARD.A after holding it 300 ms,
 * and records how many it held at once.
 */
async function holdingUpstream() {
  const socket: UdpSocket = createSocket('udp4');
  let outstanding = 0;
  let max = 0;
  socket.on('message', (msg, rinfo) => {
    const query = dnsPacket.decode(msg);
    outstanding++;
    max = Math.max(max, outstanding);
    setTimeout(() => {
      outstanding--;
      const q = query.questions?.[0];
      socket.send(
        dnsPacket.encode({
          id: query.id,
          type: 'response',
          flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE,
          questions: query.questions,
          answers: q ? [{ name: q.name, type: 'A', ttl: 60, data: UPSTREAM_WILDCARD.A }] : [],
        }),
        rinfo.port,
        rinfo.address,
      );
    }, 300);
  });
  const port = await freePort();
  await new Promise<void>((r) => socket.bind(port, '127.0.0.1', () => r()));
  return {
    port,
    maxOutstanding: () => max,
    reset: () => {
      max = 0;
    },
    close: () => new Promise<void>((r) => socket.close(() => r())),
  };
}

/** All queries in one write on one TCP connection; the rcodes in query order. */
async function pipelinedRcodes(port: number, names: string[]): Promise<number[]> {
  const socket = connect(port, '127.0.0.1');
  socket.write(
    Buffer.concat(
      names.map((name, i) =>
        dnsPacket.streamEncode({
          type: 'query',
          id: 100 + i,
          flags: dnsPacket.RECURSION_DESIRED,
          questions: [{ name, type: 'A', class: 'IN' }],
        }),
      ),
    ),
  );
  const rcodes = new Map<number, number>();
  let buffered = Buffer.alloc(0);
  await new Promise<void>((resolve, reject) => {
    socket.on('error', reject);
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
        const answer = buffered.subarray(2, 2 + buffered.readUInt16BE(0));
        rcodes.set(answer.readUInt16BE(0), (answer[3] as number) & 0x0f);
        buffered = buffered.subarray(2 + answer.length);
      }
      if (rcodes.size === names.length) resolve();
    });
  });
  socket.end();
  return names.map((_, i) => rcodes.get(100 + i) as number);
}
