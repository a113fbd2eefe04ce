/**
 * Certificate rotation under load (issue 14): `kalkan serve --dot --doh --tls-cert --tls-key`
 * (the command-line contract as written) answers a steady loop of DoT and DoH queries, on new
 * connections and on connections held open throughout, while its certificate and key are
 * replaced three ways: in place (certificate first, key a moment later, as a careless copy
 * does), by certbot's symlink swap, and once by a broken pair that must be refused. Not one
 * query may fail, held connections must survive, and new connections must see the new
 * certificate.
 */
import { randomInt } from 'node:crypto';
import { mkdir, readFile, rename, symlink, writeFile } from 'node:fs/promises';
import { connect as connectHttp2 } from 'node:http2';
import { request } from 'node:https';
import { join } from 'node:path';
import { connect as connectTls, type TLSSocket } from 'node:tls';
import dnsPacket from 'dns-packet';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type LongRunning, startKalkan } from '../helpers/kalkan-process.js';
import { freePort } from '../helpers/ports.js';
import {
  DEMO_ABUSE,
  DEMO_PUB,
  startUnbound,
  tempDir,
  type Unbound,
  waitFor,
} from '../helpers/resolver.js';
import { makeTestCa, SERVICE_NAME, type TestCa } from '../helpers/test-ca.js';

let tmp: Awaited<ReturnType<typeof tempDir>>;
let upstream: Unbound;
let kalkan: LongRunning;
let ca: TestCa;
let caPem: Buffer;
let dotPort: number;
let dohPort: number;
let live: string;

beforeAll(async () => {
  tmp = await tempDir('kalkan-rotation-');
  ca = await makeTestCa(tmp.dir);
  caPem = await readFile(ca.caFile);
  upstream = await startUnbound(tmp.dir, [], ['test']);
  // certbot's layout: live/ holds symlinks into archive/.
  live = join(tmp.dir, 'live');
  await mkdir(live);
  await mkdir(join(tmp.dir, 'archive'));
  const first = await ca.issue('archive/pair1');
  await symlink(first.cert, join(live, 'fullchain.pem'));
  await symlink(first.key, join(live, 'privkey.pem'));
  dotPort = await freePort();
  dohPort = await freePort();
  // The command-line contract as written; the config file only turns the rate limit off (the
  // load comes from one address, far above the default 200 queries a second).
  const config = join(tmp.dir, 'kalkan.yaml');
  await writeFile(config, `rateLimit: {perSecond: 0}\ndataDir: ${join(tmp.dir, 'data')}\n`);
  kalkan = startKalkan([
    'serve',
    ...['--config', config],
    ...['--listen', `127.0.0.1:${await freePort()}`, '--status', `127.0.0.1:${await freePort()}`],
    ...['--upstream', `127.0.0.1:${upstream.port}`, '--list', DEMO_ABUSE, '--trust', DEMO_PUB],
    ...['--dot', `127.0.0.1:${dotPort}`, '--doh', `127.0.0.1:${dohPort}`],
    ...['--tls-cert', join(live, 'fullchain.pem'), '--tls-key', join(live, 'privkey.pem')],
  ]);
  await kalkan.waitFor(/kalkan serve ready/);
}, 60_000);

afterAll(async () => {
  await kalkan?.stop();
  await upstream?.stop();
  await tmp?.remove();
});

const query = (name: string) =>
  dnsPacket.encode({
    type: 'query',
    id: randomInt(65_536),
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ type: 'A', name }],
  });

/** dns-packet decodes the RCODE but does not declare it. */
const rcodeOf = (message: dnsPacket.DecodedPacket) => (message as { rcode?: string }).rcode ?? '?';

/** One DoT connection; `ask` sends a query and resolves with the rcode of its answer. */
function dot(): Promise<{
  socket: TLSSocket;
  serial: string;
  ask: (name: string) => Promise<string>;
}> {
  return new Promise((resolve, reject) => {
    const socket = connectTls(
      {
        host: '127.0.0.1',
        port: dotPort,
        servername: SERVICE_NAME,
        ca: caPem,
        ALPNProtocols: ['dot'],
      },
      () => {
        let buffered = Buffer.alloc(0);
        const waiting = new Map<number, (rcode: string) => void>();
        socket.on('data', (chunk: Buffer) => {
          buffered = Buffer.concat([buffered, chunk]);
          while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
            const message = dnsPacket.decode(buffered.subarray(2, 2 + buffered.readUInt16BE(0)));
            buffered = buffered.subarray(2 + buffered.readUInt16BE(0));
            waiting.get(message.id ?? -1)?.(rcodeOf(message));
          }
        });
        resolve({
          socket,
          serial: socket.getPeerCertificate().serialNumber,
          ask: (name) =>
            new Promise((done, fail) => {
              const bytes = query(name);
              const frame = Buffer.alloc(2 + bytes.length);
              frame.writeUInt16BE(bytes.length);
              bytes.copy(frame, 2);
              const timer = setTimeout(() => fail(new Error('DoT answer timed out')), 10_000);
              waiting.set(bytes.readUInt16BE(0), (rcode) => {
                clearTimeout(timer);
                done(rcode);
              });
              socket.write(frame);
              socket.once('close', () => fail(new Error('DoT connection closed')));
            }),
        });
      },
    );
    socket.once('error', reject);
  });
}

/** One DoH POST over a new HTTP/1.1 connection: the rcode and the certificate's serial. */
function dohOnce(name: string): Promise<{ rcode: string; serial: string }> {
  return new Promise((resolve, reject) => {
    const body = query(name);
    const req = request(
      {
        host: '127.0.0.1',
        port: dohPort,
        servername: SERVICE_NAME,
        ca: caPem,
        agent: false,
        method: 'POST',
        path: '/dns-query',
        timeout: 10_000,
        headers: { 'content-type': 'application/dns-message', 'content-length': body.length },
      },
      (res) => {
        const serial = (res.socket as TLSSocket).getPeerCertificate().serialNumber;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          if (res.statusCode !== 200) return reject(new Error(`DoH status ${res.statusCode}`));
          resolve({ rcode: rcodeOf(dnsPacket.decode(Buffer.concat(chunks))), serial });
        });
      },
    );
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('DoH timed out')));
    req.end(body);
  });
}

it('replaces the certificate three ways under load: 0 failed queries, held connections kept', async () => {
  const failures: string[] = [];
  let ok = 0;
  const serials = new Set<string>();
  let running = true;
  const check = (rcode: string, name: string) => {
    const want = name.startsWith('abuse-demo') ? 'NXDOMAIN' : 'NOERROR';
    if (rcode === want) ok++;
    else failures.push(`${name}: ${rcode}`);
  };
  const names = ['abuse-demo.test', 'open.kalkan.test'];
  // New connections every query: each handshake meets whichever certificate is in force.
  const freshDot = async () => {
    while (running) {
      const name = names[ok % 2] as string;
      try {
        const c = await dot();
        serials.add(c.serial);
        check(await c.ask(name), name);
        c.socket.end();
      } catch (error) {
        failures.push(`DoT: ${(error as Error).message}`);
      }
    }
  };
  const freshDoh = async () => {
    while (running) {
      const name = names[ok % 2] as string;
      try {
        const r = await dohOnce(name);
        serials.add(r.serial);
        check(r.rcode, name);
      } catch (error) {
        failures.push(`DoH: ${(error as Error).message}`);
      }
    }
  };
  // Held connections: one DoT, one HTTP/2 session, asked throughout.
  const held = await dot();
  const session = connectHttp2(`https://${SERVICE_NAME}:${dohPort}`, {
    ca: caPem,
    host: '127.0.0.1',
    servername: SERVICE_NAME,
  } as never);
  let heldClosed = false;
  held.socket.once('close', () => {
    heldClosed = true;
  });
  session.once('close', () => {
    heldClosed = true;
  });
  const askSession = (name: string) =>
    new Promise<string>((resolve, reject) => {
      const body = query(name);
      const stream = session.request({
        ':method': 'POST',
        ':path': '/dns-query',
        'content-type': 'application/dns-message',
      });
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => resolve(rcodeOf(dnsPacket.decode(Buffer.concat(chunks)))));
      stream.on('error', reject);
      stream.end(body);
    });
  const heldLoop = async () => {
    while (running) {
      for (const name of names) {
        try {
          check(await held.ask(name), name);
          check(await askSession(name), name);
        } catch (error) {
          failures.push(`held: ${(error as Error).message}`);
        }
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const loops = [freshDot(), freshDot(), freshDoh(), freshDoh(), heldLoop()];
  const reloads = () => (kalkan.output().match(/tls: certificate reloaded/g) ?? []).length;
  const after = async (count: number) => {
    // Some queries under each certificate, before and after.
    const start = ok;
    await waitFor(async () => ok > start + 20, 30_000, 'queries flowing');
    await waitFor(async () => reloads() >= count, 20_000, `reload ${count}`);
  };

  // 1. In place: the certificate first, the key 300 ms later (mismatched in between).
  await waitFor(async () => ok > 20, 30_000, 'queries flowing');
  const second = await ca.issue('archive/pair2');
  await writeFile(join(tmp.dir, 'inplace-cert.pem'), await readFile(second.cert));
  await rename(join(live, 'fullchain.pem'), join(tmp.dir, 'old-link-cert'));
  await rename(join(tmp.dir, 'inplace-cert.pem'), join(live, 'fullchain.pem'));
  await new Promise((r) => setTimeout(r, 300));
  await writeFile(join(tmp.dir, 'inplace-key.pem'), await readFile(second.key));
  await rename(join(live, 'privkey.pem'), join(tmp.dir, 'old-link-key'));
  await rename(join(tmp.dir, 'inplace-key.pem'), join(live, 'privkey.pem'));
  await after(1);

  // 2. A broken pair (a truncated key): refused loudly, the second pair stays.
  await writeFile(join(live, 'privkey.pem'), '-----BEGIN PRIVATE KEY-----\ngarbage\n');
  await kalkan.waitFor(/NOT loaded; the previous pair stays in force/, 20_000);
  const stillOk = ok;
  await waitFor(async () => ok > stillOk + 20, 30_000, 'queries after a bad pair');

  // 3. certbot's way: new files in archive/, the live symlinks swapped.
  const third = await ca.issue('archive/pair3');
  await symlink(third.key, join(live, 'privkey.new'));
  await rename(join(live, 'privkey.new'), join(live, 'privkey.pem'));
  await symlink(third.cert, join(live, 'fullchain.new'));
  await rename(join(live, 'fullchain.new'), join(live, 'fullchain.pem'));
  await after(2);
  const lastSerial = (await dot()).serial;
  running = false;
  await Promise.all(loops);
  held.socket.destroy();
  session.close();

  expect(failures).toEqual([]);
  expect(heldClosed).toBe(false);
  expect(ok).toBeGreaterThan(100);
  // Three certificates were in force in turn, and new connections saw them all.
  expect(serials.size).toBe(3);
  expect(serials.has(lastSerial)).toBe(true);
  expect(kalkan.output()).not.toMatch(/"level":50.*tls: certificate reloaded/);
}, 120_000);
