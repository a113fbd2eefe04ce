/**
 * `kalkan serve` as a process, asked with dig/kdig, forwarding to a real Unbound on loopback.
 */
import { createSocket } from 'node:dgram';
import { copyFile, readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import dnsPacket from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/ports.js';
import {
  BLOCKED_BY_KALKAN,
  DEMO_ABUSE,
  dig,
  type Kalkan,
  kdig,
  metric,
  replaceFile,
  startKalkan,
  startUnbound,
  statusOf,
  tempDir,
  type Unbound,
  UPSTREAM_WILDCARD,
  waitFor,
} from '../helpers/resolver.js';

const TXT = 'x'.repeat(200);
let tmp: Awaited<ReturnType<typeof tempDir>>;
let unbound: Unbound;
const servers: Kalkan[] = [];
let k: Kalkan;

beforeAll(async () => {
  tmp = await tempDir('kalkan-dns-');
  unbound = await startUnbound(
    tmp.dir,
    [
      'allowed.test. 300 IN A 192.0.2.10',
      'cloaked.test. 300 IN CNAME tracker.abuse-demo.test.',
      'forcesafesearch.google.com. 300 IN A 216.239.38.120',
      'strict.bing.com. 300 IN A 204.79.197.220',
      ...Array.from({ length: 12 }, (_, i) => `big.test. 300 IN TXT "${i}${TXT}"`),
    ],
    ['test.', 'google.com.', 'bing.com.'],
  );
  k = await startKalkan(tmp.dir, { upstreams: [`127.0.0.1:${unbound.port}`] });
  servers.push(k);
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  await unbound?.stop();
  await tmp?.remove();
});

/** NXDOMAIN with Kalkan's EDE: Unbound alone would answer every listed name. */
function expectBlocked(digOutput: string): void {
  expect(statusOf(digOutput)).toBe('NXDOMAIN');
  expect(digOutput).toMatch(BLOCKED_BY_KALKAN);
}

describe('blocking', () => {
  it('the upstream alone answers every listed name (the control for every block below)', async () => {
    for (const [name, type, data] of [
      ['abuse-demo.test', 'A', UPSTREAM_WILDCARD.A],
      ['deep.www.abuse-demo.test', 'A', UPSTREAM_WILDCARD.A],
      ['abuse-demo.test', 'TXT', `"${UPSTREAM_WILDCARD.TXT}"`],
      ['adult-demo.test', 'AAAA', UPSTREAM_WILDCARD.AAAA],
    ] as const)
      expect(await dig(unbound.port, name, type, ['+short'])).toContain(data);
  });

  it('answers a listed name and its subdomains NXDOMAIN with EDE 15 naming category and list', async () => {
    for (const name of ['abuse-demo.test', 'deep.www.abuse-demo.test']) {
      const out = await dig(k.port, name);
      expect(statusOf(out)).toBe('NXDOMAIN');
      expect(out).toContain(
        'EDE: 15 (Blocked): (blocked by Kalkan: category abuse, list demo-abuse)',
      );
    }
  });

  it('blocks every query type, and other categories with EDE 17 Filtered', async () => {
    const txt = await dig(k.port, 'abuse-demo.test', 'TXT');
    expectBlocked(txt);
    expect(txt).toContain('EDE: 15 (Blocked)');
    const adult = await dig(k.port, 'adult-demo.test', 'AAAA');
    expectBlocked(adult);
    expect(adult).toContain('EDE: 17 (Filtered)');
  });

  it('blocks an allowed name whose answer is a CNAME into a listed name (CNAME cloaking)', async () => {
    expect(await dig(unbound.port, 'cloaked.test', 'A', ['+short'])).toContain(
      'tracker.abuse-demo.test.',
    );
    const out = await dig(k.port, 'cloaked.test');
    expectBlocked(out);
    expect(out).toContain('list demo-abuse');
  });
});

describe('forwarding and cache', () => {
  it("answers an allowed name with the upstream's answer, the second time from the cache", async () => {
    const hitsBefore = await metric(k.statusPort, 'kalkan_cache_hits_total');
    const first = await dig(k.port, 'allowed.test');
    expect(statusOf(first)).toBe('NOERROR');
    expect(first).toMatch(/allowed\.test\.\s+300\s+IN\s+A\s+192\.0\.2\.10/);
    const second = await dig(k.port, 'ALLOWED.test');
    expect(second).toMatch(/ALLOWED\.test\.\s+\d+\s+IN\s+A\s+192\.0\.2\.10/);
    expect(await metric(k.statusPort, 'kalkan_cache_hits_total')).toBe(hitsBefore + 1);
  });

  it('answers over TCP', async () => {
    const out = await kdig(k.port, ['+tcp', 'allowed.test', 'A']);
    expect(out).toMatch(/allowed\.test\.\s+\d+\s+IN\s+A\s+192\.0\.2\.10/);
  });

  it('answers pipelined queries on one TCP connection', async () => {
    const names = [
      'allowed.test',
      'abuse-demo.test',
      'big.test',
      'allowed.test',
      'adult-demo.test',
    ];
    const answers = await pipelined(k.port, names);
    expect(answers).toEqual([0, 3, 0, 0, 3]); // NOERROR, NXDOMAIN, …
  });

  it('sets TC on a UDP answer too large for the client, and dig then gets it over TCP', async () => {
    const out = await dig(k.port, 'big.test', 'TXT', ['+bufsize=1232']);
    expect(out).toContain('Truncated, retrying in TCP mode');
    expect(out.match(/IN\s+TXT/g)?.length).toBe(13); // the question line + 12 records
    const plain = await dig(k.port, 'big.test', 'TXT', ['+noedns', '+ignore']);
    expect(plain).toMatch(/flags: qr tc/);
  });

  it('passes the DO bit through and echoes it', async () => {
    const out = await dig(k.port, 'allowed.test', 'A', ['+dnssec']);
    expect(out).toMatch(/EDNS: version: 0, flags: do;/);
  });
});

describe('special names', () => {
  it('answers Google and Bing with their safe search endpoints (CNAME + address)', async () => {
    const google = await dig(k.port, 'www.google.com');
    expect(google).toMatch(
      /www\.google\.com\.\s+\d+\s+IN\s+CNAME\s+forcesafesearch\.google\.com\./,
    );
    expect(google).toMatch(/forcesafesearch\.google\.com\.\s+\d+\s+IN\s+A\s+216\.239\.38\.120/);
    expect(await dig(k.port, 'www.bing.com')).toMatch(/CNAME\s+strict\.bing\.com\./);
  });

  it('answers the Firefox canary use-application-dns.net NXDOMAIN', async () => {
    expect(statusOf(await dig(k.port, 'use-application-dns.net'))).toBe('NXDOMAIN');
  });
});

describe('addresses and policies', () => {
  it('listens on IPv4 and IPv6 loopback at once', async () => {
    const port = await freePort();
    const both = await startKalkan(tmp.dir, {
      upstreams: [`127.0.0.1:${unbound.port}`],
      listen: [`127.0.0.1:${port}`, `[::1]:${port}`],
    });
    servers.push(both);
    const { execFile } = await import('node:child_process');
    const { promisify } = await import('node:util');
    const { stdout } = await promisify(execFile)('dig', [
      '-6',
      '@::1',
      '-p',
      String(port),
      'abuse-demo.test',
      '+time=3',
      '+tries=1',
    ]);
    expectBlocked(stdout);
    expectBlocked(await dig(port, 'abuse-demo.test'));
  });

  it('applies the policy of the client subnet: its categories, its safe search setting', async () => {
    const staff = await startKalkan(tmp.dir, {
      upstreams: [`127.0.0.1:${unbound.port}`],
      policies: [
        { name: 'staff', subnets: ['127.0.0.0/8'], categories: ['abuse'], safeSearch: false },
      ],
    });
    servers.push(staff);
    expectBlocked(await dig(staff.port, 'abuse-demo.test'));
    // adult is not among the staff's categories: the upstream's own answer comes through
    const adult = await dig(staff.port, 'adult-demo.test');
    expect(statusOf(adult)).toBe('NOERROR');
    expect(adult).toContain(UPSTREAM_WILDCARD.A);
    expect(adult).not.toContain('blocked by Kalkan');
    const google = await dig(staff.port, 'www.google.com');
    expect(google).toContain(UPSTREAM_WILDCARD.A);
    expect(google).not.toContain('forcesafesearch');
    // the same names from a server with the default policy: blocked, rewritten
    expectBlocked(await dig(k.port, 'adult-demo.test'));
    expect(await dig(k.port, 'www.google.com')).toContain('forcesafesearch');
  });

  it('answers a sinkhole address instead of NXDOMAIN when configured', async () => {
    const sink = await startKalkan(tmp.dir, {
      upstreams: [`127.0.0.1:${unbound.port}`],
      block: { mode: 'sinkhole', sinkholeIPv4: '192.0.2.254' },
    });
    servers.push(sink);
    const out = await dig(sink.port, 'abuse-demo.test');
    expect(statusOf(out)).toBe('NOERROR');
    expect(out).toMatch(/abuse-demo\.test\.\s+300\s+IN\s+A\s+192\.0\.2\.254/);
    expect(out).toContain('EDE: 15 (Blocked)');
  });
});

describe('never open, never flooded', () => {
  it('refuses clients outside the ACL', async () => {
    const closed = await startKalkan(tmp.dir, {
      upstreams: [`127.0.0.1:${unbound.port}`],
      acl: ['10.0.0.0/8'],
    });
    servers.push(closed);
    expect(statusOf(await dig(closed.port, 'allowed.test'))).toBe('REFUSED');
    expect(await metric(closed.statusPort, 'kalkan_refused_total')).toBe(1);
    // Over TCP it accepts the connection and closes it at once, without an answer.
    const tcp = await dig(closed.port, 'allowed.test', 'A', ['+tcp']).then(
      (out) => `answered: ${out}`,
      (error: { stdout?: string }) => String(error.stdout),
    );
    expect(tcp).toMatch(/end of file|connection reset/);
    expect(await metric(closed.statusPort, 'kalkan_refused_total')).toBe(1);
  });

  it('rate-limits a client beyond its bucket and counts it', async () => {
    const limited = await startKalkan(tmp.dir, {
      upstreams: [`127.0.0.1:${unbound.port}`],
      rateLimit: { perSecond: 1, burst: 3 },
    });
    servers.push(limited);
    const answers = [];
    for (let i = 0; i < 8; i++) answers.push(await dig(limited.port, 'abuse-demo.test'));
    for (const first of answers.slice(0, 3)) expectBlocked(first);
    const statuses = answers.map(statusOf);
    expect(statuses).toContain('REFUSED');
    expect(await metric(limited.statusPort, 'kalkan_rate_limited_total')).toBeGreaterThan(0);
  });

  it('forwards over TCP to a tcp:// upstream, and fails over to the next upstream', async () => {
    const tcpOnly = await startUnbound(tmp.dir, ['allowed.test. 300 IN A 192.0.2.10'], ['test.'], {
      udp: false,
    });
    try {
      // the control: this upstream does not answer over UDP at all
      await expect(dig(tcpOnly.port, 'allowed.test', 'A', ['+time=1'])).rejects.toThrow();
      const viaTcp = await startKalkan(tmp.dir, {
        upstreams: [`127.0.0.1:${await freePort()}`, `tcp://127.0.0.1:${tcpOnly.port}`],
        upstreamTimeoutMs: 300,
      });
      servers.push(viaTcp);
      expect(await dig(viaTcp.port, 'allowed.test', 'A', ['+short'])).toContain('192.0.2.10');
      const page = await (await fetch(`http://127.0.0.1:${viaTcp.statusPort}/`)).text();
      expect(page).toContain(`tcp://127.0.0.1:${tcpOnly.port}`);
    } finally {
      await tcpOnly.stop();
    }
  });

  it('fails over from an upstream that answers REFUSED to one that answers', async () => {
    const refusing = await startUnbound(tmp.dir, [], ['test.'], { refuse: true });
    try {
      const k2 = await startKalkan(tmp.dir, {
        upstreams: [`127.0.0.1:${refusing.port}`, `127.0.0.1:${unbound.port}`],
      });
      servers.push(k2);
      for (let i = 0; i < 3; i++)
        expect(await dig(k2.port, `allowed.test`, 'A', ['+short'])).toContain('192.0.2.10');
    } finally {
      await refusing.stop();
    }
  });

  it('answers SERVFAIL, rather than nothing, when no upstream answers', async () => {
    const upstreamTimeoutMs = 300;
    const upstreamAttempts = 2;
    const upstreams = [`127.0.0.1:${await freePort()}`, `127.0.0.1:${await freePort()}`];
    const dead = await startKalkan(tmp.dir, { upstreams, upstreamTimeoutMs, upstreamAttempts });
    servers.push(dead);
    // Kalkan gives up after at most attempts x upstreams x timeout (1.2 s); dig waits for
    // four times that, so only a server that never answers fails here.
    const patience = Math.ceil(
      (4 * upstreamAttempts * upstreams.length * upstreamTimeoutMs) / 1000,
    );
    const out = await dig(dead.port, 'allowed.test', 'A', [`+time=${patience}`]);
    expect(statusOf(out)).toBe('SERVFAIL');
  });
});

describe('list reload', () => {
  it('refuses a bundle with a bad signature and keeps blocking with the old list', async () => {
    const listFile = join(tmp.dir, 'abuse.klb');
    await copyFile(DEMO_ABUSE, listFile);
    const r = await startKalkan(tmp.dir, {
      upstreams: [`127.0.0.1:${unbound.port}`],
      lists: [{ file: listFile }],
    });
    servers.push(r);
    expectBlocked(await dig(r.port, 'abuse-demo.test'));
    const bad = new Uint8Array(await readFile(DEMO_ABUSE));
    // Flip a byte of the signed body: the signature no longer matches.
    bad[bad.length - 10] = (bad[bad.length - 10] as number) ^ 0xff;
    await replaceFile(listFile, bad);
    await waitFor(async () => r.stdout().includes('list refused'));
    expect(r.stdout()).toMatch(/"code":"bad-signature"/);
    expectBlocked(await dig(r.port, 'abuse-demo.test'));
    r.child.kill('SIGHUP'); // a reload on demand refuses it again and changes nothing
    await waitFor(async () => (r.stdout().match(/list refused/g)?.length ?? 0) >= 2);
    expectBlocked(await dig(r.port, 'www.abuse-demo.test'));
  });
});

describe('names seen, bounded by memory.namesSeen', () => {
  it('keeps at most namesSeen names and still blocks every name after forgetting it', async () => {
    const small = await startKalkan(tmp.dir, {
      upstreams: [`127.0.0.1:${unbound.port}`],
      memory: { namesSeen: 1024 },
    });
    servers.push(small);
    const counts = async () => ({
      hits: await metric(small.statusPort, 'kalkan_name_table_hits_total'),
      misses: await metric(small.statusPort, 'kalkan_name_table_misses_total'),
    });
    const blocked = (i: number) => `n${i}.abuse-demo.test`;
    const start = await counts();
    // Three times the table's names, each blocked by Kalkan (its EDE), each new to the table.
    for (let i = 0; i < 3072; i++)
      expect(await udpEde(small.port, blocked(i)), blocked(i)).toBe(15);
    const filled = await counts();
    expect(filled.misses - start.misses).toBe(3072);
    // The last names are still held (hits); the first were forgotten (misses) and are still
    // blocked, from the lists, not from anything remembered.
    for (let i = 3000; i < 3072; i++) expect(await udpEde(small.port, blocked(i))).toBe(15);
    const recent = await counts();
    expect(recent.hits - filled.hits).toBe(72);
    expect(recent.misses).toBe(filled.misses);
    for (let i = 0; i < 100; i++) expect(await udpEde(small.port, blocked(i))).toBe(15);
    const forgotten = await counts();
    expect(forgotten.misses - recent.misses).toBe(100);
  });
});

/** Asks over UDP with EDNS; the EDE code of the answer (undefined: none). */
async function udpEde(port: number, name: string): Promise<number | undefined> {
  const socket = createSocket('udp4');
  try {
    const query = dnsPacket.encode({
      type: 'query',
      id: 4242,
      flags: dnsPacket.RECURSION_DESIRED,
      questions: [{ name, type: 'A', class: 'IN' }],
      additionals: [
        {
          type: 'OPT',
          name: '.',
          udpPayloadSize: 1232,
          extendedRcode: 0,
          ednsVersion: 0,
          flags: 0,
          flag_do: false,
          options: [],
        },
      ],
    });
    const answer = await new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer for ${name}`)), 5000);
      socket.once('message', (msg) => {
        clearTimeout(timer);
        resolve(msg);
      });
      socket.send(query, port, '127.0.0.1');
    });
    expect((answer[3] as number) & 0x0f, name).toBe(3);
    const opt = dnsPacket.decode(answer).additionals?.find((r) => r.type === 'OPT') as
      | { options?: { code: number; data?: Buffer }[] }
      | undefined;
    return opt?.options?.find((o) => o.code === 15)?.data?.readUInt16BE(0);
  } finally {
    socket.close();
  }
}

/** Sends all queries in one write on one connection; returns answers in query order. */
async function pipelined(port: number, names: string[]) {
  const queries = names.map((name, i) =>
    dnsPacket.streamEncode({
      type: 'query',
      id: 1000 + i,
      flags: dnsPacket.RECURSION_DESIRED,
      questions: [{ name, type: name.startsWith('big') ? 'TXT' : 'A', class: 'IN' }],
    }),
  );
  const socket = connect(port, '127.0.0.1');
  socket.write(Buffer.concat(queries));
  const rcodeById = new Map<number, number>();
  let buffered = Buffer.alloc(0);
  await new Promise<void>((resolve, reject) => {
    socket.on('error', reject);
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
        const length = buffered.readUInt16BE(0);
        const answer = buffered.subarray(2, 2 + length);
        rcodeById.set(answer.readUInt16BE(0), (answer[3] as number) & 0x0f);
        buffered = buffered.subarray(2 + length);
      }
      if (rcodeById.size === names.length) resolve();
    });
  });
  socket.end();
  return names.map((_, i) => rcodeById.get(1000 + i));
}
