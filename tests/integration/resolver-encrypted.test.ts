/**
 * Encrypted DNS (issue 14) with real clients against the built CLI: kdig over TLS and HTTPS
 * (POST and GET), curl's own DoH, Unbound forwarding over TLS; DDR parsed by kdig; a device id
 * in the DoH path or the DoT SNI picks its policy; answers are padded to 468-octet blocks. The
 * test upstream answers every name (the listed ones too, with 127.0.0.1), so an NXDOMAIN with
 * Kalkan's EDE can only be Kalkan's.
 */
import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { type ConnectionOptions, connect as connectTls, type TLSSocket } from 'node:tls';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runKalkan } from '../helpers/kalkan-process.js';
import { freePort } from '../helpers/ports.js';
import {
  dig,
  type Kalkan,
  metric,
  startKalkan,
  startUnbound,
  statusOf,
  stopChild,
  tempDir,
  type Unbound,
  waitFor,
} from '../helpers/resolver.js';
import { makeTestCa, SERVICE_NAME, type TestCa } from '../helpers/test-ca.js';

const run = promisify(execFile);
/** BLOCKED_BY_KALKAN as kdig prints it (the EDE text in quotes). */
const KDIG_BLOCKED = /EDE: 1[57] \((?:Blocked|Filtered)\): '?blocked by Kalkan: category /;
const LISTED = 'abuse-demo.test';
const ADULT = 'adult-demo.test';
const OPEN = 'open.kalkan.test';

let tmp: Awaited<ReturnType<typeof tempDir>>;
let upstream: Unbound;
let k: Kalkan;
let ca: TestCa;
let dotPort: number;
let dohPort: number;
let web: Server;
let webPort: number;

beforeAll(async () => {
  tmp = await tempDir('kalkan-encrypted-');
  ca = await makeTestCa(tmp.dir);
  const pair = await ca.issue('server');
  // Without Kalkan the listed names resolve, to a web server that answers: only a block stops them.
  upstream = await startUnbound(
    tmp.dir,
    [LISTED, ADULT, OPEN].map((n) => `${n}. 300 IN A 127.0.0.1`),
    ['test'],
  );
  web = createServer((_req, res) => res.end('kalkan-test-page\n'));
  await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
  webPort = (web.address() as { port: number }).port;
  dotPort = await freePort();
  dohPort = await freePort();
  k = await startKalkan(tmp.dir, {
    upstreams: [`127.0.0.1:${upstream.port}`],
    dot: [`127.0.0.1:${dotPort}`],
    doh: [`127.0.0.1:${dohPort}`],
    tls: { ...pair, name: SERVICE_NAME },
    policies: [{ name: 'parent', categories: ['abuse'], safeSearch: false }],
    tcp: { maxConnectionsPerClient: 6, idleTimeoutMs: 2000 },
    devices: [
      { id: 'dadphone', policy: 'parent' },
      { id: 'kidphone', policy: 'default' },
    ],
  });
}, 60_000);

afterAll(async () => {
  await k?.stop();
  await upstream?.stop();
  web?.close();
  await tmp?.remove();
});

const tlsArgs = () => [`+tls-ca=${ca.caFile}`, `+tls-hostname=${SERVICE_NAME}`];

let caText: string | undefined;
const caPem = () => {
  caText ??= readFileSync(ca.caFile, 'utf8');
  return caText;
};

async function kdigAt(port: number, args: string[]): Promise<string> {
  const { stdout } = await run('kdig', [
    '@127.0.0.1',
    '-p',
    String(port),
    '+time=5',
    '+retry=0',
    ...args,
  ]);
  return stdout;
}

describe('DNS over TLS and HTTPS with kdig', () => {
  const clients: [string, () => [number, string[]]][] = [
    ['DoT', () => [dotPort, ['+tls', ...tlsArgs()]]],
    ['DoH POST', () => [dohPort, ['+https', ...tlsArgs()]]],
    ['DoH GET', () => [dohPort, ['+https', '+https-get', ...tlsArgs()]]],
  ];
  for (const [what, args] of clients) {
    it(`${what}: a listed name gets NXDOMAIN with Kalkan's EDE, padded to 468 octets`, async () => {
      const [port, extra] = args();
      const out = await kdigAt(port, [...extra, LISTED, 'A']);
      expect(out).toMatch(/TLS session \(TLS1\.[23]\)/);
      expect(statusOf(out)).toBe('NXDOMAIN');
      expect(out).toMatch(KDIG_BLOCKED);
      expect(out).toMatch(/PADDING: \d+ B/);
      expect(out).toMatch(/Received 468 B/);
    });
    it(`${what}: an unlisted name gets the upstream's answer`, async () => {
      const [port, extra] = args();
      const out = await kdigAt(port, [...extra, OPEN, 'A']);
      expect(statusOf(out)).toBe('NOERROR');
      expect(out).toMatch(/open\.kalkan\.test\.\s+\d+\s+IN\s+A\s+127\.0\.0\.1/);
    });
  }

  it('DoH speaks HTTP/2 and HTTP/1.1; DoT offers ALPN "dot"; TLS 1.1 is refused', async () => {
    const h2 = await kdigAt(dohPort, ['+https', ...tlsArgs(), OPEN]);
    expect(h2).toMatch(/HTTP\/2-POST/);
    const { stdout: http1 } = await run('curl', [
      ...[
        '-s',
        '--http1.1',
        '--cacert',
        ca.caFile,
        '-o',
        '/dev/null',
        '-w',
        '%{http_version} %{http_code}',
      ],
      ...['--resolve', `${SERVICE_NAME}:${dohPort}:127.0.0.1`],
      `https://${SERVICE_NAME}:${dohPort}/dns-query?dns=${queryBase64(OPEN)}`,
    ]);
    expect(http1).toBe('1.1 200');
    const alpn = await opensslClient(dotPort, ['-alpn', 'dot']);
    expect(alpn).toMatch(/ALPN protocol: dot/);
    const old = await opensslClient(dotPort, ['-tls1_1']);
    expect(old).toMatch(/alert protocol version/);
    expect(old).toMatch(/Cipher is \(NONE\)/);
  });

  it('resumes a TLS session from its ticket', async () => {
    const session = join(tmp.dir, 'session.pem');
    const first = await opensslClient(dotPort, ['-tls1_2', '-sess_out', session]);
    expect(first).toMatch(/New, TLSv1\.2/);
    const again = await opensslClient(dotPort, ['-tls1_2', '-sess_in', session]);
    expect(again).toMatch(/Reused, TLSv1\.2/);
  });

  it('DoH refuses what is not a DNS query: wrong path, wrong media type, wrong method', async () => {
    const base = `https://${SERVICE_NAME}:${dohPort}`;
    const code = async (args: string[]) =>
      (
        await run('curl', [
          ...['-s', '--cacert', ca.caFile, '-o', '/dev/null', '-w', '%{http_code}'],
          ...['--resolve', `${SERVICE_NAME}:${dohPort}:127.0.0.1`, ...args],
        ])
      ).stdout;
    expect(await code([`${base}/other`])).toBe('404');
    expect(await code([`${base}/dns-query`])).toBe('400');
    expect(
      await code([
        '-X',
        'POST',
        '-H',
        'content-type: text/plain',
        '--data',
        'x',
        `${base}/dns-query`,
      ]),
    ).toBe('415');
    // The same answers over HTTP/1.1 (answered apart from HTTP/2's streams).
    for (const version of ['--http2', '--http1.1']) {
      expect(await code([version, '-X', 'PUT', `${base}/dns-query`]), version).toBe('405');
      expect(await code([version, `${base}/other`]), version).toBe('404');
    }
  });
});

describe('connection limits as for TCP', () => {
  /** A DoT (or DoH) connection from `localAddress`, handshaken; rejects if refused. */
  const open = (port: number, localAddress: string, alpn: string) =>
    new Promise<TLSSocket>((resolve, reject) => {
      // tls.connect hands localAddress on to net.connect; its type does not say so.
      const where = { host: '127.0.0.1', port, localAddress } as ConnectionOptions;
      const s = connectTls(
        { ...where, servername: SERVICE_NAME, ca: caPem(), ALPNProtocols: [alpn] },
        () => resolve(s),
      );
      s.resume(); // reads what the server sends (HTTP/2 SETTINGS, GOAWAY), as a real client does
      s.once('error', reject);
      s.once('close', () => reject(new Error('closed before the handshake')));
    });

  for (const [what, port, alpn] of [
    ['DoT', () => dotPort, 'dot'],
    ['DoH', () => dohPort, 'h2'],
  ] as const) {
    it(`${what}: one client holds at most tcp.maxConnectionsPerClient; idle ones are closed`, async () => {
      const client = what === 'DoT' ? '127.0.0.9' : '127.0.0.10';
      const held: TLSSocket[] = [];
      for (let i = 0; i < 6; i++) held.push(await open(port(), client, alpn));
      await expect(open(port(), client, alpn)).rejects.toThrow();
      // Another client is not affected.
      (await open(port(), '127.0.0.11', alpn)).destroy();
      // Idle for longer than idleTimeoutMs (2 s): every held connection is closed by Kalkan.
      await Promise.all(
        held.map((s) => new Promise((r) => (s.closed ? r(0) : s.once('close', r)))),
      );
      expect(held.every((s) => s.closed)).toBe(true);
      // Its slots are free again.
      (await open(port(), client, alpn)).destroy();
    });
  }
});

describe("curl's own DoH resolver", () => {
  const fetchVia = (name: string) =>
    run('curl', [
      ...['-s', '--max-time', '10', '--cacert', ca.caFile],
      ...['--resolve', `${SERVICE_NAME}:${dohPort}:127.0.0.1`],
      ...['--doh-url', `https://${SERVICE_NAME}:${dohPort}/dns-query`],
      `http://${name}:${webPort}/`,
    ]).then(
      ({ stdout }) => ({ code: 0, stdout }),
      (error: { code: number }) => ({ code: error.code, stdout: '' }),
    );

  it('opens an unlisted name and cannot resolve a listed one', async () => {
    expect(await fetchVia(OPEN)).toEqual({ code: 0, stdout: 'kalkan-test-page\n' });
    // 6: could not resolve host. The upstream alone would have given 127.0.0.1.
    expect((await fetchVia(LISTED)).code).toBe(6);
    expect(statusOf(await dig(upstream.port, LISTED))).toBe('NOERROR');
  });
});

describe('per-device policy', () => {
  it('a device id in the DoH path picks its policy; an unknown id gets the default', async () => {
    const via = (path: string) => kdigAt(dohPort, [`+https=${path}`, ...tlsArgs(), ADULT, 'A']);
    // The parent's phone: only abuse blocked, so the adult name resolves.
    expect(statusOf(await via('/dns-query/dadphone'))).toBe('NOERROR');
    for (const path of ['/dns-query/kidphone', '/dns-query/stranger', '/dns-query']) {
      const out = await via(path);
      expect(statusOf(out), path).toBe('NXDOMAIN');
      expect(out).toMatch(KDIG_BLOCKED);
    }
    // Abuse stays blocked for every device.
    const listed = await kdigAt(dohPort, ['+https=/dns-query/dadphone', ...tlsArgs(), LISTED]);
    expect(statusOf(listed)).toBe('NXDOMAIN');
    expect(listed).toMatch(KDIG_BLOCKED);
  });

  it('a device id as the first SNI label picks its policy over DoT', async () => {
    const via = (sni: string) =>
      kdigAt(dotPort, [
        '+tls',
        `+tls-ca=${ca.caFile}`,
        `+tls-hostname=${sni}`,
        `+tls-sni=${sni}`,
        ADULT,
        'A',
      ]);
    expect(statusOf(await via(`dadphone.${SERVICE_NAME}`))).toBe('NOERROR');
    expect(statusOf(await via(`kidphone.${SERVICE_NAME}`))).toBe('NXDOMAIN');
    expect(statusOf(await via(SERVICE_NAME))).toBe('NXDOMAIN');
  });

  it('counts per device are aggregate numbers on /metrics', async () => {
    const text = await (await fetch(`http://127.0.0.1:${k.statusPort}/metrics`)).text();
    expect(text).toMatch(
      /kalkan_device_queries_total\{device="dadphone",outcome="answered"\} [1-9]/,
    );
    expect(text).toMatch(
      /kalkan_device_queries_total\{device="kidphone",outcome="blocked"\} [1-9]/,
    );
    expect(text).not.toMatch(/device="stranger"/);
  });
});

describe('DDR (RFC 9462)', () => {
  it('_dns.resolver.arpa SVCB on the plain listener names the DoT and DoH endpoints', async () => {
    const { stdout } = await run('kdig', [
      '@127.0.0.1',
      '-p',
      String(k.port),
      '_dns.resolver.arpa',
      'SVCB',
    ]);
    expect(statusOf(stdout)).toBe('NOERROR');
    const records = stdout
      .split('\n')
      .filter((l) => /^_dns\.resolver\.arpa\.\s+\d+\s+IN\s+SVCB/.test(l));
    expect(records).toHaveLength(2);
    expect(records[0]).toMatch(
      new RegExp(`SVCB\\s+1 kalkan\\.test\\. alpn=dot port=${dotPort} ipv4hint=127\\.0\\.0\\.1`),
    );
    expect(records[1]).toMatch(
      new RegExp(
        `SVCB\\s+2 kalkan\\.test\\. alpn=h2,http/1\\.1 port=${dohPort} ipv4hint=127\\.0\\.0\\.1 (?:key7|dohpath)="/dns-query\\{\\?dns\\}"`,
      ),
    );
    expect(stdout).toMatch(/ADDITIONAL SECTION:\nkalkan\.test\.\s+\d+\s+IN\s+A\s+127\.0\.0\.1/);
  });
});

describe('Unbound forwarding over TLS to Kalkan', () => {
  it('gets the same answers: NXDOMAIN for a listed name, the real answer otherwise', async () => {
    const port = await freePort();
    const conf = join(tmp.dir, 'unbound-tls.conf');
    await writeFile(
      conf,
      `server:
  interface: 127.0.0.1@${port}
  port: ${port}
  do-daemonize: no
  username: ""
  chroot: ""
  directory: "${tmp.dir}"
  pidfile: ""
  use-syslog: no
  logfile: ""
  access-control: 127.0.0.0/8 allow
  num-threads: 1
  module-config: "iterator"
  do-not-query-localhost: no
  local-zone: "test." nodefault
  tls-cert-bundle: "${ca.caFile}"
forward-zone:
  name: "."
  forward-tls-upstream: yes
  forward-addr: 127.0.0.1@${dotPort}#${SERVICE_NAME}
remote-control:
  control-enable: no
`,
    );
    const child = spawn('unbound', ['-d', '-c', conf], { stdio: 'ignore' });
    try {
      const before = await metric(k.statusPort, 'kalkan_queries_total');
      await waitFor(
        async () => statusOf(await dig(port, OPEN)) === 'NOERROR',
        20_000,
        'unbound over TLS',
      );
      expect(await dig(port, OPEN)).toMatch(/open\.kalkan\.test\.\s+\d+\s+IN\s+A\s+127\.0\.0\.1/);
      expect(statusOf(await dig(port, LISTED))).toBe('NXDOMAIN');
      expect(statusOf(await dig(port, ADULT))).toBe('NXDOMAIN');
      expect(await metric(k.statusPort, 'kalkan_queries_total')).toBeGreaterThan(before);
    } finally {
      await stopChild(child);
    }
  });
});

describe('preflight', () => {
  it('refuses a key that does not match the certificate, naming tls', async () => {
    const other = await ca.issue('other');
    const first = await ca.issue('first');
    const conf = join(tmp.dir, 'mismatch.yaml');
    await writeFile(
      conf,
      `listen: ["127.0.0.1:${await freePort()}"]\nstatus: null\ndataDir: ${join(tmp.dir, 'mm')}\ndot: ["127.0.0.1:${await freePort()}"]\ntls: {cert: ${first.cert}, key: ${other.key}}\ndevices: [{id: tablet, policy: nosuch}]\n`,
    );
    const r = await runKalkan(['serve', '--check', '--config', conf]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/tls: key .*other\.key does not match certificate .*first\.pem/);
    expect(r.stderr).toMatch(/devices\[0\]\.policy: "nosuch" is not a policy/);
  });

  it('--tls-cert without --tls-key is a usage error', async () => {
    const r = await runKalkan(['serve', '--dot', '127.0.0.1:8853', '--tls-cert', ca.caFile]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/--tls-cert and --tls-key go together/);
  });

  it('refuses DoT without a certificate, and a DoT port that collides with another listener', async () => {
    const port = await freePort();
    const r = await runKalkan([
      'serve',
      '--listen',
      `127.0.0.1:${port}`,
      '--dot',
      `127.0.0.1:${port}`,
      '--status',
      `127.0.0.1:${await freePort()}`,
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/tls: dot listeners need tls/);
    expect(r.stderr).toMatch(/dot\[0\]: 127\.0\.0\.1:\d+ collides with listen\[0\]/);
  });
});

function queryBase64(name: string): string {
  const labels = name
    .split('.')
    .map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)]));
  const header = Buffer.from([0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
  return Buffer.concat([header, ...labels, Buffer.from([0, 0, 1, 0, 1])]).toString('base64url');
}

function opensslClient(port: number, args: string[]): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn(
      'openssl',
      ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', SERVICE_NAME, ...args],
      {
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      out += d;
    });
    child.stdin.end();
    const timer = setTimeout(() => child.kill(), 10_000);
    child.on('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
}
