/**
 * Behind a load balancer (issue 14): Debian's dnsdist 1.7 in front of two `kalkan serve`
 * instances with PROXY protocol v2 (`useProxyProtocol=true`), all on loopback. Clients on
 * different loopback addresses prove that Kalkan's ACL and policies see the real client, not
 * dnsdist; one instance is killed mid-test and every query is still answered (UDP clients retry
 * once, as every stub does; dnsdist itself does not retry UDP). Direct checks: a balancer
 * address without a header, and a header from anyone else, are refused; DoT and DoH take the
 * header before their TLS handshake.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { connect as connectHttp2 } from 'node:http2';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { connect as connectTls } from 'node:tls';
import { promisify } from 'node:util';
import dnsPacket from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/ports.js';
import {
  type Kalkan,
  startKalkan,
  startUnbound,
  stopChild,
  tempDir,
  type Unbound,
  waitFor,
} from '../helpers/resolver.js';
import { makeTestCa, SERVICE_NAME } from '../helpers/test-ca.js';

const run = promisify(execFile);
const ADULT = 'adult-demo.test';
const OPEN = 'open.kalkan.test';
/** Clients, told apart by their loopback source address. */
const PARENT = '127.0.0.2';
const CHILD = '127.0.0.3';
const STRANGER = '127.0.0.4';
const OUTSIDER = '127.0.0.5';

let tmp: Awaited<ReturnType<typeof tempDir>>;
let upstream: Unbound;
const kalkans: Kalkan[] = [];
let dotPort: number;
let dohPort: number;
let caPem: string;
let dnsdist: ChildProcess;
let dnsdistPort: number;
let dnsdistDot: number;
let dnsdistLog = '';

beforeAll(async () => {
  tmp = await tempDir('kalkan-dnsdist-');
  const ca = await makeTestCa(tmp.dir);
  caPem = ca.caFile;
  const pair = await ca.issue('server');
  upstream = await startUnbound(tmp.dir, [], ['test']);
  for (let i = 0; i < 2; i++) {
    const dot = await freePort();
    const doh = await freePort();
    if (i === 0) {
      dotPort = dot;
      dohPort = doh;
    }
    kalkans.push(
      await startKalkan(tmp.dir, {
        upstreams: [`127.0.0.1:${upstream.port}`],
        proxyProtocol: { from: ['127.0.0.1/32'] },
        // dnsdist itself (127.0.0.1) and the parent and child may ask; the stranger may not.
        acl: ['127.0.0.1/32', `${PARENT}/32`, `${CHILD}/32`, `${OUTSIDER}/32`],
        policies: [{ name: 'parent', subnets: [`${PARENT}/32`], categories: ['abuse'] }],
        dot: [`127.0.0.1:${dot}`],
        doh: [`127.0.0.1:${doh}`],
        tls: pair,
        cache: { maxEntries: 0 },
      }),
    );
  }
  dnsdistPort = await freePort();
  dnsdistDot = await freePort();
  const conf = join(tmp.dir, 'dnsdist.conf');
  await writeFile(
    conf,
    [
      `setLocal('127.0.0.1:${dnsdistPort}')`,
      `setACL({'127.0.0.0/8'})`,
      // dnsdist terminates DoT itself and passes the queries on with a PROXY header.
      `addTLSLocal('127.0.0.1:${dnsdistDot}', '${pair.cert}', '${pair.key}')`,
      `setSecurityPollSuffix('')`,
      ...kalkans.map(
        (k, i) =>
          `newServer({address='127.0.0.1:${k.port}', name='kalkan${i}', useProxyProtocol=true, checkName='health.kalkan.test.', checkInterval=1, maxCheckFailures=1})`,
      ),
      `setServerPolicy(roundrobin)`,
      '',
    ].join('\n'),
  );
  dnsdist = spawn('dnsdist', ['--supervised', '--disable-syslog', '-C', conf], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  dnsdist.stdout?.on('data', (d) => {
    dnsdistLog += d;
  });
  dnsdist.stderr?.on('data', (d) => {
    dnsdistLog += d;
  });
  // dnsdist answers through its back ends (their health checks carry a PROXY header too).
  await waitFor(
    async () => (await udpQuery(dnsdistPort, OPEN, PARENT)) === 'NOERROR',
    20_000,
    'dnsdist answering',
  ).catch((error) => {
    throw new Error(`${error.message}\n${dnsdistLog}`);
  });
}, 90_000);

afterAll(async () => {
  if (dnsdist) await stopChild(dnsdist);
  for (const k of kalkans) await k.stop();
  await upstream?.stop();
  await tmp?.remove();
});

const query = (name: string, id: number) =>
  dnsPacket.encode({
    type: 'query',
    id,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ type: 'A', name }],
  });
const rcodeOf = (bytes: Buffer) => (dnsPacket.decode(bytes) as { rcode?: string }).rcode ?? '?';

/** One UDP query from `from` to `port`: its rcode, or 'timeout'. */
function udpQuery(
  port: number,
  name: string,
  from: string,
  payload?: (q: Buffer) => Buffer,
  timeoutMs = 1500,
): Promise<string> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    const id = Math.floor(Math.random() * 65_536);
    const timer = setTimeout(() => {
      socket.close();
      resolve('timeout');
    }, timeoutMs);
    socket.on('message', (msg) => {
      clearTimeout(timer);
      socket.close();
      resolve(rcodeOf(msg));
    });
    socket.bind(0, from, () => {
      const q = query(name, id);
      socket.send(payload ? payload(q) : q, port, '127.0.0.1');
    });
  });
}

/** A PROXY v2 header (PROXY command, UDP or TCP over IPv4) claiming `source`. */
function proxyHeader(source: string, stream: boolean): Buffer {
  const header = Buffer.alloc(16 + 12);
  Buffer.from('0d0a0d0a000d0a515549540a', 'hex').copy(header);
  header[12] = 0x21;
  header[13] = stream ? 0x11 : 0x12;
  header.writeUInt16BE(12, 14);
  Buffer.from(source.split('.').map(Number)).copy(header, 16);
  Buffer.from([127, 0, 0, 1]).copy(header, 20);
  header.writeUInt16BE(40_000, 24);
  header.writeUInt16BE(53, 26);
  return header;
}

describe('through dnsdist', () => {
  it('policies and the ACL see the real client, over UDP and TCP', async () => {
    expect(await udpQuery(dnsdistPort, ADULT, PARENT)).toBe('NOERROR');
    expect(await udpQuery(dnsdistPort, ADULT, CHILD)).toBe('NXDOMAIN');
    expect(await udpQuery(dnsdistPort, OPEN, STRANGER)).toBe('REFUSED');
    expect(await tcpQuery(dnsdistPort, ADULT, PARENT)).toBe('NOERROR');
    expect(await tcpQuery(dnsdistPort, ADULT, CHILD)).toBe('NXDOMAIN');
    // Over TCP Kalkan closes a stranger's connection rather than spend a slot on a REFUSED.
    await expect(tcpQuery(dnsdistPort, OPEN, STRANGER)).rejects.toThrow(/closed/);
  });

  it('DoT terminated by dnsdist: Kalkan still sees the real client', async () => {
    const ask = async (from: string) => {
      const { stdout } = await run('kdig', [
        ...['-b', from, '@127.0.0.1', '-p', String(dnsdistDot), '+time=5', '+retry=0'],
        ...['+tls', `+tls-ca=${caPem}`, `+tls-hostname=${SERVICE_NAME}`, ADULT, 'A'],
      ]);
      expect(stdout).toMatch(/TLS session/);
      return /status: ([A-Z]+)/.exec(stdout)?.[1];
    };
    expect(await ask(PARENT)).toBe('NOERROR');
    expect(await ask(CHILD)).toBe('NXDOMAIN');
  });

  it('one instance killed mid-test: every query answered (a client retries once)', async () => {
    let answered = 0;
    const retried: number[] = [];
    const lost: string[] = [];
    let running = true;
    let killedAt = Number.POSITIVE_INFINITY;
    // A stub's behaviour: one retry after a timeout (UDP, 1 s) or a dropped connection (TCP,
    // retried after the same second: dnsdist's health check, every second, may not have run
    // yet when the connection drops, and at once its retry could meet the dead back end too).
    const withRetry = async (ask: () => Promise<string>) => {
      const started = Date.now();
      let rcode = await ask().catch((e: Error) => e.message);
      if (rcode !== 'NOERROR') {
        retried.push(Date.now() - killedAt);
        await new Promise((r) => setTimeout(r, Math.max(0, started + 1000 - Date.now())));
        rcode = await ask().catch((e: Error) => e.message);
      }
      if (rcode === 'NOERROR') answered++;
      else lost.push(rcode);
    };
    const loop = async (ask: () => Promise<string>) => {
      while (running) await withRetry(ask);
    };
    const loops = [
      loop(() => udpQuery(dnsdistPort, OPEN, PARENT, undefined, 1000)),
      loop(() => udpQuery(dnsdistPort, OPEN, CHILD, undefined, 1000)),
      loop(() => tcpQuery(dnsdistPort, OPEN, PARENT)),
    ];
    await waitFor(async () => answered > 50, 30_000, 'queries flowing');
    killedAt = Date.now();
    (kalkans[1] as Kalkan).child.kill('SIGKILL');
    // dnsdist checks every second and marks a back end down at the first failure: after a few
    // seconds every query must go to the survivor at the first try.
    const after = answered;
    await waitFor(
      async () => answered > after + 200 && Date.now() > killedAt + 6000,
      60_000,
      'queries after the kill',
    );
    running = false;
    await Promise.all(loops);
    expect(lost).toEqual([]);
    expect(retried.filter((ms) => ms < 0)).toEqual([]); // none before the kill
    expect(retried.filter((ms) => ms > 4000)).toEqual([]); // none once dnsdist knew
    console.log(
      `dnsdist: ${answered} answered, ${retried.length} needed the client's retry (all within ${retried.reduce((most, ms) => Math.max(most, ms), 0)} ms of the kill), 0 lost`,
    );
  });
});

describe('PROXY v2 straight to Kalkan', () => {
  const port = () => (kalkans[0] as Kalkan).port;

  it('a header from a balancer names the client (UDP and TCP)', async () => {
    const parent = (q: Buffer) => Buffer.concat([proxyHeader(PARENT, false), q]);
    const child = (q: Buffer) => Buffer.concat([proxyHeader(CHILD, false), q]);
    expect(await udpQuery(port(), ADULT, '127.0.0.1', parent)).toBe('NOERROR');
    expect(await udpQuery(port(), ADULT, '127.0.0.1', child)).toBe('NXDOMAIN');
    expect(await tcpQuery(port(), ADULT, '127.0.0.1', proxyHeader(PARENT, true))).toBe('NOERROR');
  });

  it('from a balancer without a header: refused; a header from anyone else: refused', async () => {
    // Positive control first: the outsider is in the ACL and gets answers without a header.
    expect(await udpQuery(port(), OPEN, OUTSIDER)).toBe('NOERROR');
    expect(await udpQuery(port(), OPEN, '127.0.0.1')).toBe('timeout');
    const claim = (q: Buffer) => Buffer.concat([proxyHeader(PARENT, false), q]);
    expect(await udpQuery(port(), ADULT, OUTSIDER, claim)).toBe('timeout');
    await expect(tcpQuery(port(), OPEN, '127.0.0.1')).rejects.toThrow(/closed/);
    await expect(tcpQuery(port(), ADULT, OUTSIDER, proxyHeader(PARENT, true))).rejects.toThrow(
      /closed/,
    );
  });

  it('DoT reads the header before the TLS handshake', async () => {
    const ask = (source: string) =>
      new Promise<string>((resolve, reject) => {
        const raw = connect({ host: '127.0.0.1', port: dotPort }, () => {
          raw.write(proxyHeader(source, true));
          const tls = connectTls({ socket: raw, servername: SERVICE_NAME, ca: readCa() }, () => {
            tls.write(framed(query(ADULT, 7)));
          });
          readFramed(tls).then(resolve, reject);
          tls.on('error', reject);
        });
        raw.on('error', reject);
      });
    expect(await ask(PARENT)).toBe('NOERROR');
    expect(await ask(CHILD)).toBe('NXDOMAIN');
  });

  it('DoH reads the header before the TLS handshake, HTTP/2 after it', async () => {
    const ask = (source: string) =>
      new Promise<string>((resolve, reject) => {
        const raw = connect({ host: '127.0.0.1', port: dohPort }, () => {
          raw.write(proxyHeader(source, true));
          const session = connectHttp2(`https://${SERVICE_NAME}`, {
            createConnection: () =>
              connectTls({
                socket: raw,
                servername: SERVICE_NAME,
                ca: readCa(),
                ALPNProtocols: ['h2'],
              }),
          });
          session.on('error', reject);
          const stream = session.request({
            ':method': 'POST',
            ':path': '/dns-query',
            'content-type': 'application/dns-message',
          });
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('end', () => {
            session.close();
            resolve(rcodeOf(Buffer.concat(chunks)));
          });
          stream.on('error', reject);
          stream.end(query(ADULT, 8));
        });
        raw.on('error', reject);
      });
    expect(await ask(PARENT)).toBe('NOERROR');
    expect(await ask(CHILD)).toBe('NXDOMAIN');
  });
});

function readCa(): string {
  return readFileSync(caPem, 'utf8');
}

function framed(q: Buffer): Buffer {
  const out = Buffer.alloc(2 + q.length);
  out.writeUInt16BE(q.length);
  q.copy(out, 2);
  return out;
}

function readFramed(socket: Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    const timer = setTimeout(() => reject(new Error('timed out')), 5000);
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
        clearTimeout(timer);
        socket.destroy();
        resolve(rcodeOf(buffered.subarray(2, 2 + buffered.readUInt16BE(0))));
      }
    });
    socket.on('close', () => {
      clearTimeout(timer);
      reject(new Error('connection closed without an answer'));
    });
  });
}

/** One query over TCP from `from`, optionally after `prefix` (a PROXY header). */
function tcpQuery(port: number, name: string, from: string, prefix?: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, localAddress: from }, () => {
      const q = framed(query(name, 9));
      socket.write(prefix ? Buffer.concat([prefix, q]) : q);
    });
    socket.on('error', reject);
    readFramed(socket).then(resolve, reject);
  });
}
