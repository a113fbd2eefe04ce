/**
 * NOTIFY (RFC 1996) as a secondary sees it: sent when a new serial loads, resent until
 * answered, TSIG-signed when a key is configured, unsigned to secondaries that cannot sign.
 */
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FLAG, OPCODE, opcodeOf, TYPE } from '../../resolver/dns/codes.js';
import { parseMessage, soaSerial } from '../../resolver/dns/message.js';
import { type RpzPrimary, startRpzPrimary } from '../../resolver/rpz/server.js';
import { findTsig, parseTsigKey, verifyMessage } from '../../resolver/rpz/tsig.js';
import { freePort } from '../helpers/ports.js';
import { waitFor } from '../helpers/resolver.js';
import { trustedKeys, writeList } from '../helpers/rpz-lists.js';

const ZONE = 'rpz.kalkan.test';
const key = parseTsigKey(`xfr:hmac-sha256:${randomBytes(32).toString('base64')}`);

interface Seen {
  msg: Buffer;
  answered: boolean;
}

/** A secondary that records NOTIFYs and answers only from the `answerFrom`-th one on. */
async function fakeSecondary(host: string, answerFrom: number) {
  const socket: Socket = createSocket('udp4');
  const seen: Seen[] = [];
  socket.on('message', (msg, rinfo) => {
    const answered = seen.length + 1 >= answerFrom;
    seen.push({ msg, answered });
    if (!answered) return;
    const reply = Buffer.from(msg.subarray(0, 12));
    reply.writeUInt16BE(msg.readUInt16BE(2) | FLAG.QR, 2);
    reply.writeUInt16BE(0, 4);
    reply.fill(0, 6, 12);
    socket.send(reply, rinfo.port, rinfo.address);
  });
  const port = await freePort(host);
  await new Promise<void>((resolve) => socket.bind(port, host, resolve));
  return { port, seen, close: () => new Promise<void>((r) => socket.close(() => r())) };
}

describe('NOTIFY to secondaries', () => {
  let dir: string;
  let primary: RpzPrimary;
  let slow: Awaited<ReturnType<typeof fakeSecondary>>;
  let unsigned: Awaited<ReturnType<typeof fakeSecondary>>;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kalkan-rpz-notify-'));
    await writeList(join(dir, 'list.klb'), 1, ['one.test']);
    slow = await fakeSecondary('127.0.0.1', 3);
    unsigned = await fakeSecondary('127.0.0.3', 1);
    primary = await startRpzPrimary({
      listen: { host: '127.0.0.1', port: await freePort() },
      zone: ZONE,
      listFile: join(dir, 'list.klb'),
      trustedKeys: await trustedKeys(),
      tsigKeys: [key],
      allowUnsigned: ['127.0.0.3/32'],
      notify: [
        { host: '127.0.0.1', port: slow.port },
        { host: '127.0.0.3', port: unsigned.port },
      ],
      notifyTimeoutMs: 100,
      log: () => undefined,
    });
    await primary.notified();
  });

  afterAll(async () => {
    await primary?.close();
    await slow?.close();
    await unsigned?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('resends until the secondary answers', () => {
    expect(slow.seen.map((s) => s.answered)).toEqual([false, false, true]);
    expect(unsigned.seen).toHaveLength(1);
    expect(primary.counters()).toMatchObject({ notifySent: 4, notifyAcked: 2, notifyFailed: 0 });
  });

  it('sends a signed NOTIFY with the SOA, and an unsigned one to secondaries that cannot sign', () => {
    const signed = slow.seen[0]?.msg as Buffer;
    const parsed = parseMessage(signed);
    expect(opcodeOf(parsed.header.flags)).toBe(OPCODE.NOTIFY);
    expect(parsed.questions).toEqual([{ name: ZONE, type: TYPE.SOA, class: 1 }]);
    const soa = parsed.records.find((r) => r.type === TYPE.SOA);
    expect(soa && soaSerial(signed, soa)).toBe(1);
    const tsig = findTsig(signed, parsed);
    expect(tsig && verifyMessage(signed, tsig, [key], tsig.timeSigned)).toMatchObject({ ok: true });
    const plain = unsigned.seen[0]?.msg as Buffer;
    expect(findTsig(plain, parseMessage(plain))).toBeUndefined();
  });

  it('notifies again when a new serial loads', async () => {
    const count = slow.seen.length;
    await writeList(join(dir, 'list.klb'), 2, ['two.test']);
    await primary.reload();
    await waitFor(async () => slow.seen.length > count, 2_000);
    const msg = slow.seen.at(-1)?.msg as Buffer;
    const soa = parseMessage(msg).records.find((r) => r.type === TYPE.SOA);
    expect(soa && soaSerial(msg, soa)).toBe(2);
  });
});
