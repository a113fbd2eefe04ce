/**
 * The RPZ primary under bad input: truncated and malformed requests over UDP and TCP, IXFR
 * for serials it does not know, bad TSIG, wrong zones and opcodes, and a flood of SOA queries.
 * Each is answered correctly or refused, and the server keeps answering.
 */
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as packet from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RCODE } from '../../resolver/dns/codes.js';
import { parseMessage } from '../../resolver/dns/message.js';
import { type RpzPrimary, startRpzPrimary } from '../../resolver/rpz/server.js';
import {
  findTsig,
  parseTsigKey,
  signMessage,
  TSIG_ERROR,
  verifyResponse,
} from '../../resolver/rpz/tsig.js';
import { freePort } from '../helpers/ports.js';
import { trustedKeys, writeList } from '../helpers/rpz-lists.js';

const ZONE = 'rpz.kalkan.test';
const key = parseTsigKey(`xfr:hmac-sha256:${randomBytes(32).toString('base64')}`);
const now = () => Math.floor(Date.now() / 1000);

function query(
  type: packet.RecordType,
  options: { id?: number; name?: string; serial?: number; opcode?: number } = {},
): Buffer {
  const msg = packet.encode({
    type: 'query',
    id: options.id ?? 4242,
    flags: (options.opcode ?? 0) << 11,
    questions: [{ type, name: options.name ?? ZONE }],
    authorities:
      options.serial === undefined
        ? []
        : [
            {
              type: 'SOA',
              name: ZONE,
              ttl: 0,
              data: {
                mname: 'a.test',
                rname: 'b.test',
                serial: options.serial,
                refresh: 1,
                retry: 1,
                expire: 1,
                minimum: 1,
              },
            },
          ],
  });
  return Buffer.from(msg);
}

const signed = (msg: Buffer) => signMessage(msg, key, { now: now() });

describe('RPZ primary under bad input', () => {
  let dir: string;
  let primary: RpzPrimary;
  let port: number;

  function udp(msg: Uint8Array, timeoutMs = 1000): Promise<Buffer | undefined> {
    return new Promise((resolve) => {
      const socket = createSocket('udp4');
      const timer = setTimeout(() => {
        socket.close();
        resolve(undefined);
      }, timeoutMs);
      socket.once('message', (reply) => {
        clearTimeout(timer);
        socket.close();
        resolve(reply);
      });
      socket.send(msg, port, '127.0.0.1');
    });
  }

  /** Sends raw bytes over TCP; collects framed replies until `until` says stop or the peer closes. */
  function tcp(
    raw: Uint8Array,
    until: (replies: Buffer[]) => boolean = (r) => r.length > 0,
    timeoutMs = 3000,
  ): Promise<{ replies: Buffer[]; closed: boolean }> {
    return new Promise((resolve) => {
      const replies: Buffer[] = [];
      let pending = Buffer.alloc(0);
      const socket = connect(port, '127.0.0.1', () => socket.write(raw));
      const finish = (closed: boolean) => {
        clearTimeout(timer);
        socket.destroy();
        resolve({ replies, closed });
      };
      const timer = setTimeout(() => finish(false), timeoutMs);
      socket.on('data', (chunk) => {
        pending = Buffer.concat([pending, chunk]);
        while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
          replies.push(Buffer.from(pending.subarray(2, 2 + pending.readUInt16BE(0))));
          pending = pending.subarray(2 + pending.readUInt16BE(0));
        }
        if (until(replies)) finish(false);
      });
      socket.on('close', () => finish(true));
      socket.on('error', () => finish(true));
    });
  }

  const framed = (msg: Uint8Array) => {
    const out = Buffer.alloc(msg.length + 2);
    out.writeUInt16BE(msg.length, 0);
    out.set(msg, 2);
    return out;
  };
  const soaCount = (replies: Buffer[]) =>
    replies.flatMap((r) => packet.decode(r).answers ?? []).filter((a) => a.type === 'SOA').length;
  const transfer = async (msg: Buffer) =>
    (await tcp(framed(msg), (r) => soaCount(r) >= 2 || (r[0] !== undefined && rcode(r[0]) !== 0)))
      .replies;
  const rcode = (reply: Buffer) => reply.readUInt16BE(2) & 0xf;

  async function stillUp(): Promise<void> {
    const reply = await udp(query('SOA'));
    expect(reply && packet.decode(reply).answers?.[0]?.type).toBe('SOA');
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kalkan-rpz-bad-'));
    await writeList(join(dir, 'list.klb'), 1, ['one.test', 'two.test']);
    port = await freePort();
    primary = await startRpzPrimary({
      listen: { host: '127.0.0.1', port },
      zone: ZONE,
      listFile: join(dir, 'list.klb'),
      trustedKeys: await trustedKeys(),
      tsigKeys: [key],
      log: () => undefined,
    });
    await writeList(join(dir, 'list.klb'), 2, ['one.test', 'three.test']);
    await primary.reload();
  });

  afterAll(async () => {
    await primary?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('ignores datagrams too short for a header, and answers FORMERR to malformed ones', async () => {
    expect(await udp(Buffer.from([1, 2, 3, 4, 5]), 300)).toBeUndefined();
    const noQuestion = Buffer.from([0xab, 0xcd, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
    const reply = await udp(noQuestion);
    expect(reply?.readUInt16BE(0)).toBe(0xabcd);
    expect(reply && rcode(reply)).toBe(RCODE.FORMERR);
    // A compression pointer that points at itself.
    const loop = Buffer.from([0, 7, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 6, 0, 1]);
    expect(rcode((await udp(loop)) as Buffer)).toBe(RCODE.FORMERR);
    const trailing = Buffer.concat([query('SOA'), Buffer.from([1, 2, 3])]);
    expect(rcode((await udp(trailing)) as Buffer)).toBe(RCODE.FORMERR);
    await stillUp();
  });

  it('closes TCP connections that send a too-short or half a message, and stays up', async () => {
    const tiny = await tcp(Buffer.from([0, 3, 1, 2, 3]));
    expect(tiny).toMatchObject({ closed: true, replies: [] });
    const half = framed(signed(query('AXFR'))).subarray(0, 20);
    const cut = new Promise<void>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => socket.end(half, () => resolve()));
      socket.on('error', () => resolve());
    });
    await cut;
    await stillUp();
  });

  it('answers FORMERR to a transfer request whose TSIG record is cut short', async () => {
    const whole = signed(query('AXFR'));
    const short = Buffer.from(whole.subarray(0, whole.length - 10));
    const [reply] = await transfer(short);
    expect(reply && rcode(reply)).toBe(RCODE.FORMERR);
  });

  it('answers AXFR over UDP with FORMERR and an IXFR without an SOA with FORMERR', async () => {
    expect(rcode((await udp(signed(query('AXFR')))) as Buffer)).toBe(RCODE.FORMERR);
    const [reply] = await transfer(signed(query('IXFR')));
    expect(reply && rcode(reply)).toBe(RCODE.FORMERR);
  });

  it('answers an IXFR for an unknown serial with the whole zone, AXFR-style', async () => {
    const before = primary.counters();
    const replies = await transfer(signed(query('IXFR', { serial: 0 })));
    const answers = replies.flatMap((r) => packet.decode(r).answers ?? []);
    expect(answers[0]?.type).toBe('SOA');
    expect(answers[1]?.type).toBe('NS');
    expect(answers.filter((a) => a.type === 'CNAME').map((a) => a.name)).toContain(
      `three.test.${ZONE}`,
    );
    expect(primary.counters().ixfrAsAxfr).toBe(before.ixfrAsAxfr + 1);
  });

  it('answers an IXFR from the last serial with the difference, and from the current with the SOA', async () => {
    const diff = await transfer(signed(query('IXFR', { serial: 1 })));
    const answers = diff.flatMap((r) => packet.decode(r).answers ?? []);
    expect(answers.map((a) => (a.type === 'SOA' ? `SOA ${a.data.serial}` : `${a.name}`))).toEqual([
      'SOA 2',
      'SOA 1',
      `two.test.${ZONE}`,
      `*.two.test.${ZONE}`,
      'SOA 2',
      `three.test.${ZONE}`,
      `*.three.test.${ZONE}`,
      'SOA 2',
    ]);
    const upToDate = await tcp(framed(signed(query('IXFR', { serial: 2 }))));
    expect(
      upToDate.replies.flatMap((r) => packet.decode(r).answers ?? []).map((a) => a.type),
    ).toEqual(['SOA']);
    // Over UDP an IXFR gets the SOA alone, which tells the secondary to come back over TCP.
    const overUdp = await udp(signed(query('IXFR', { serial: 1 })));
    expect(overUdp && packet.decode(overUdp).answers?.map((a) => a.type)).toEqual(['SOA']);
  });

  it('refuses other zones, other types and unsigned transfers; NOTIMP for other opcodes', async () => {
    expect(rcode((await udp(query('SOA', { name: 'other.test' }))) as Buffer)).toBe(RCODE.REFUSED);
    expect(rcode((await udp(query('A', { name: `one.test.${ZONE}` }))) as Buffer)).toBe(
      RCODE.REFUSED,
    );
    expect(rcode((await udp(query('SOA', { opcode: 5 }))) as Buffer)).toBe(RCODE.NOTIMP);
    const [unsigned] = await transfer(query('AXFR'));
    expect(unsigned && rcode(unsigned)).toBe(RCODE.REFUSED);
  });

  it('answers a tampered signature with NOTAUTH/BADSIG and a stale one with a signed BADTIME', async () => {
    const tampered = signed(query('AXFR'));
    tampered[tampered.length - 10] = (tampered[tampered.length - 10] as number) ^ 0xff;
    const [bad] = await transfer(tampered);
    expect(bad && rcode(bad)).toBe(RCODE.NOTAUTH);
    expect(bad && findTsig(bad, parseMessage(bad))).toMatchObject({ error: TSIG_ERROR.BADSIG });
    const staleTime = now() - 3600;
    const stale = signMessage(query('AXFR'), key, { now: staleTime });
    const [late] = await transfer(stale);
    const tsig = late && findTsig(late, parseMessage(late));
    expect(tsig).toMatchObject({ error: TSIG_ERROR.BADTIME, timeSigned: staleTime });
    expect(tsig?.mac.length).toBe(32);
    // Other Data: the server's time, 6 bytes.
    expect(tsig?.other.length).toBe(6);
    expect(Math.abs((tsig?.other.readUIntBE(0, 6) ?? 0) - now())).toBeLessThan(5);
    // Its MAC covers the request MAC: it verifies (at the client's clock).
    const requestMac = findTsig(stale, parseMessage(stale))?.mac as Buffer;
    expect(late && verifyResponse(late, [key], staleTime, requestMac)).toMatchObject({ ok: true });
  });

  it('survives a flood of SOA queries and of TCP connections', async () => {
    const socket = createSocket('udp4');
    const answers: Buffer[] = [];
    socket.on('message', (reply) => answers.push(reply));
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    for (let burst = 0; burst < 50; burst++) {
      for (let i = 0; i < 100; i++)
        socket.send(query('SOA', { id: burst * 100 + i }), port, '127.0.0.1');
      await new Promise((r) => setTimeout(r, 5));
    }
    await new Promise((r) => setTimeout(r, 500));
    socket.close();
    // UDP drops some when the machine is busy; every answer that comes is a correct one.
    expect(answers.length).toBeGreaterThan(500);
    for (const reply of answers) {
      const decoded = packet.decode(reply);
      expect(decoded.id).toBeLessThan(5_000);
      expect(decoded.answers?.[0]).toMatchObject({ type: 'SOA', data: { serial: 2 } });
    }
    const sockets = Array.from({ length: 100 }, () => connect(port, '127.0.0.1'));
    sockets.forEach((s) => {
      s.on('error', () => undefined);
    });
    await new Promise((r) => setTimeout(r, 300));
    await stillUp();
    // With 100 idle connections held open, a secondary still gets in: the oldest idle goes.
    const [reply] = (await tcp(framed(query('SOA')))).replies;
    expect(reply && packet.decode(reply).answers?.[0]?.type).toBe('SOA');
    for (const s of sockets) s.destroy();
  });
});
