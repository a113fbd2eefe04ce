import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TYPE } from '../../../../resolver/dns/codes.js';
import { parseMessage } from '../../../../resolver/dns/message.js';
import { MessageWriter } from '../../../../resolver/dns/writer.js';
import {
  findTsig,
  parseTsigKey,
  signMessage,
  TSIG_ERROR,
  TsigStreamSigner,
  unsignedTsigError,
  verifyMessage,
  verifyResponse,
} from '../../../../resolver/rpz/tsig.js';

// Captured from dig -y and BIND's named by tests/fixtures/rpz/capture-tsig-vectors.ts.
const vectors = JSON.parse(
  readFileSync(new URL('../../../fixtures/rpz/tsig-vectors.json', import.meta.url), 'utf8'),
) as { key: string; digRequest: string; bind: { request: string; responses: string[] } };
const key = parseTsigKey(vectors.key);
const hex = (s: string) => Buffer.from(s, 'hex');

function tsigOf(msg: Buffer) {
  const tsig = findTsig(msg, parseMessage(msg));
  if (!tsig) throw new Error('no TSIG');
  return tsig;
}

function query(id = 0x1234): Buffer {
  const w = new MessageWriter(512, 'rpz.kalkan.test');
  w.reset(id, 0);
  w.question(TYPE.AXFR);
  return w.finish();
}

describe('TSIG keys', () => {
  it('parses NAME:ALG:SECRET and refuses bad ones', () => {
    expect(key).toMatchObject({ name: 'vector-key', algorithm: 'hmac-sha256' });
    expect(parseTsigKey(`K.Example.:${vectors.key.split(':')[2]}`).name).toBe('k.example');
    expect(() => parseTsigKey('k:hmac-md5:AAAAAAAAAAAAAAAAAAAAAA==')).toThrow(/not supported/);
    expect(() => parseTsigKey('k:hmac-sha256:c2hvcnQ=')).toThrow(/at least 16 bytes/);
    expect(() => parseTsigKey('k:hmac-sha256:not base64!')).toThrow(/base64/);
    expect(() => parseTsigKey('just-a-name')).toThrow(/NAME:ALG:SECRET/);
  });
});

describe('TSIG against independent implementations', () => {
  it("verifies a request signed by dig's -y", () => {
    const msg = hex(vectors.digRequest);
    const tsig = tsigOf(msg);
    expect(verifyMessage(msg, tsig, [key], tsig.timeSigned)).toMatchObject({ ok: true });
    // One flipped bit anywhere in the signed part breaks it.
    const tampered = Buffer.from(msg);
    tampered[14] = (tampered[14] as number) ^ 1;
    expect(verifyMessage(tampered, tsigOf(tampered), [key], tsig.timeSigned)).toMatchObject({
      ok: false,
      error: TSIG_ERROR.BADSIG,
    });
  });

  it("verifies BIND's multi-message AXFR, each message chained to the one before", () => {
    const request = hex(vectors.bind.request);
    let prior = tsigOf(request).mac;
    vectors.bind.responses.forEach((h, i) => {
      const msg = hex(h);
      const tsig = tsigOf(msg);
      const result = verifyResponse(msg, [key], tsig.timeSigned, prior, i > 0);
      expect(result, `message ${i}`).toMatchObject({ ok: true });
      prior = tsig.mac;
    });
    expect(vectors.bind.responses.length).toBeGreaterThan(1);
  });

  it("reproduces BIND's MACs byte for byte with the stream signer", () => {
    const request = hex(vectors.bind.request);
    const messages = vectors.bind.responses.map(hex);
    const times = messages.map((m) => tsigOf(m).timeSigned);
    let i = 0;
    const signer = new TsigStreamSigner(key, tsigOf(request).mac, () => times[i] as number);
    for (; i < messages.length; i++) {
      const original = messages[i] as Buffer;
      const tsig = tsigOf(original);
      const unsigned = Buffer.from(original.subarray(0, tsig.start));
      unsigned.writeUInt16BE(unsigned.readUInt16BE(10) - 1, 10);
      expect(signer.sign(unsigned).equals(original), `message ${i}`).toBe(true);
    }
  });
});

describe('TSIG sign and verify', () => {
  const now = 1_800_000_000;

  it('round-trips a request and a response', () => {
    const request = signMessage(query(), key, { now });
    const tsig = tsigOf(request);
    expect(verifyMessage(request, tsig, [key], now)).toMatchObject({ ok: true });
    const response = signMessage(query(), key, { now, requestMac: tsig.mac });
    expect(verifyResponse(response, [key], now, tsig.mac)).toMatchObject({ ok: true });
    // The response MAC depends on the request MAC: a different request does not verify it.
    expect(verifyResponse(response, [key], now, Buffer.alloc(32))).toMatchObject({
      ok: false,
      error: TSIG_ERROR.BADSIG,
    });
  });

  it('tells unknown keys, bad MACs and stale times apart', () => {
    const other = parseTsigKey(`other:hmac-sha256:${Buffer.alloc(32, 1).toString('base64')}`);
    const wrongSecret = { ...key, secret: Buffer.alloc(32, 9) };
    const byOther = signMessage(query(), other, { now });
    expect(verifyMessage(byOther, tsigOf(byOther), [key], now)).toMatchObject({
      ok: false,
      error: TSIG_ERROR.BADKEY,
    });
    const byWrong = signMessage(query(), wrongSecret, { now });
    expect(verifyMessage(byWrong, tsigOf(byWrong), [key], now)).toMatchObject({
      ok: false,
      error: TSIG_ERROR.BADSIG,
    });
    const good = signMessage(query(), key, { now });
    expect(verifyMessage(good, tsigOf(good), [key], now + 301)).toMatchObject({
      ok: false,
      error: TSIG_ERROR.BADTIME,
    });
    expect(verifyMessage(good, tsigOf(good), [key], now + 300)).toMatchObject({ ok: true });
  });

  it('checks the original ID, not the one a forwarder may have rewritten', () => {
    const signed = signMessage(query(0x1111), key, { now });
    signed.writeUInt16BE(0x2222, 0);
    expect(verifyMessage(signed, tsigOf(signed), [key], now)).toMatchObject({ ok: true });
  });

  it('accepts a MAC truncated to half, refuses one truncated further', () => {
    const signed = signMessage(query(), key, { now });
    const tsig = tsigOf(signed);
    expect(
      verifyMessage(signed, { ...tsig, mac: tsig.mac.subarray(0, 16) }, [key], now),
    ).toMatchObject({ ok: true });
    expect(
      verifyMessage(signed, { ...tsig, mac: tsig.mac.subarray(0, 8) }, [key], now),
    ).toMatchObject({
      ok: false,
      error: TSIG_ERROR.BADSIG,
    });
  });

  it('signs a stream so each message verifies against the previous MAC', () => {
    const requestMac = tsigOf(signMessage(query(), key, { now })).mac;
    const signer = new TsigStreamSigner(key, requestMac, () => now);
    let prior = requestMac;
    for (let i = 0; i < 4; i++) {
      const msg = signer.sign(query());
      expect(verifyResponse(msg, [key], now, prior, i > 0), `message ${i}`).toMatchObject({
        ok: true,
      });
      // A later message checked as a first one (all variables) fails: the two digests differ.
      if (i > 0) expect(verifyResponse(msg, [key], now, prior, false)).toMatchObject({ ok: false });
      prior = tsigOf(msg).mac;
    }
  });

  it('writes unsigned error records with an empty MAC', () => {
    const request = signMessage(query(), key, { now });
    const reply = unsignedTsigError(query(), tsigOf(request), TSIG_ERROR.BADKEY, now);
    const tsig = tsigOf(reply);
    expect(tsig).toMatchObject({
      error: TSIG_ERROR.BADKEY,
      keyName: 'vector-key',
      originalId: 0x1234,
    });
    expect(tsig.mac.length).toBe(0);
  });

  it('refuses a TSIG record that is not the last one', () => {
    const signed = signMessage(query(), key, { now });
    // Append a second copy of the TSIG record after it: the first is then not last.
    const tsig = tsigOf(signed);
    const twice = Buffer.concat([signed, signed.subarray(tsig.start)]);
    twice.writeUInt16BE(2, 10);
    expect(() => findTsig(twice, parseMessage(twice))).toThrow(/last/);
  });
});
