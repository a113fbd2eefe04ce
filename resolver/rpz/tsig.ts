/**
 * TSIG (RFC 8945): HMAC over exact message bytes. A request's MAC covers the message without
 * its TSIG record (ARCOUNT one less, original ID) plus the TSIG variables; a response's MAC
 * also covers the request's MAC first; in a multi-message answer (AXFR/IXFR, §5.3.1) each
 * later message covers the previous MAC, the message, and only the timers.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { CLASS, TYPE } from '../dns/codes.js';
import { type ParsedMessage, parseMessage, u16, u32 } from '../dns/message.js';
import { nameToWire, readName } from '../dns/name.js';
import { WireError } from '../dns/wire-error.js';

export const TSIG_ALGORITHMS = {
  'hmac-sha256': { hash: 'sha256', bytes: 32 },
  'hmac-sha384': { hash: 'sha384', bytes: 48 },
  'hmac-sha512': { hash: 'sha512', bytes: 64 },
} as const;
export type TsigAlgorithm = keyof typeof TSIG_ALGORITHMS;

export const TSIG_ERROR = { BADSIG: 16, BADKEY: 17, BADTIME: 18, BADTRUNC: 22 } as const;
export const DEFAULT_FUDGE = 300;

export interface TsigKey {
  /** Lower-case, no trailing dot. */
  name: string;
  algorithm: TsigAlgorithm;
  secret: Buffer;
}

/** `NAME:ALG:BASE64SECRET`, the form `dig -y` takes (ALG optional: hmac-sha256). */
export function parseTsigKey(spec: string): TsigKey {
  const parts = spec.split(':');
  const [name, algorithm, secret] =
    parts.length === 2 ? [parts[0], 'hmac-sha256', parts[1]] : [parts[0], parts[1], parts[2]];
  if (parts.length < 2 || parts.length > 3 || !name || !secret) {
    throw new Error(`TSIG key must be NAME:ALG:SECRET (base64), got "${spec}"`);
  }
  const alg = (algorithm ?? '').toLowerCase();
  if (!(alg in TSIG_ALGORITHMS)) {
    throw new Error(
      `TSIG algorithm "${algorithm}" is not supported (use ${Object.keys(TSIG_ALGORITHMS).join(', ')})`,
    );
  }
  const bytes = Buffer.from(secret, 'base64');
  if (
    bytes.length < 16 ||
    bytes.toString('base64').replace(/=+$/, '') !== secret.replace(/=+$/, '')
  )
    throw new Error('TSIG secret must be base64 of at least 16 bytes');
  return {
    name: name.replace(/\.$/, '').toLowerCase(),
    algorithm: alg as TsigAlgorithm,
    secret: bytes,
  };
}

export interface TsigRecord {
  keyName: string;
  algorithm: string;
  timeSigned: number;
  fudge: number;
  mac: Buffer;
  originalId: number;
  error: number;
  other: Buffer;
  /** Byte offset of the TSIG record: everything before it is the signed message. */
  start: number;
}

/** The TSIG record of a parsed message, if any; it must be the last additional record. */
export function findTsig(msg: Uint8Array, parsed: ParsedMessage): TsigRecord | undefined {
  const index = parsed.records.findIndex((r) => r.type === TYPE.TSIG);
  if (index < 0) return undefined;
  const record = parsed.records[index];
  if (!record || index !== parsed.records.length - 1 || record.section !== 'additional')
    throw new WireError('TSIG record is not the last additional record');
  if (record.class !== CLASS.ANY || record.ttl !== 0) throw new WireError('TSIG class/TTL wrong');
  const alg = readName(msg, record.rdata);
  let p = alg.end;
  const timeSigned = u16(msg, p) * 2 ** 32 + u32(msg, p + 2);
  const fudge = u16(msg, p + 6);
  const macSize = u16(msg, p + 8);
  p += 10;
  if (p + macSize + 6 > record.end) throw new WireError('TSIG MAC runs past its record');
  const mac = Buffer.from(msg.subarray(p, p + macSize));
  p += macSize;
  const originalId = u16(msg, p);
  const error = u16(msg, p + 2);
  const otherLen = u16(msg, p + 4);
  p += 6;
  if (p + otherLen !== record.end) throw new WireError('TSIG other data has the wrong length');
  return {
    keyName: record.name,
    algorithm: alg.name,
    timeSigned,
    fudge,
    mac,
    originalId,
    error,
    other: Buffer.from(msg.subarray(p, record.end)),
    start: record.start,
  };
}

interface Variables {
  timeSigned: number;
  fudge: number;
  error: number;
  other: Uint8Array;
}

function u48(value: number): Buffer {
  const out = Buffer.alloc(6);
  out.writeUInt16BE(Math.floor(value / 2 ** 32), 0);
  out.writeUInt32BE(value % 2 ** 32, 2);
  return out;
}

function u16b(value: number): Buffer {
  const out = Buffer.alloc(2);
  out.writeUInt16BE(value, 0);
  return out;
}

/** The message as it was before its TSIG record was added: ARCOUNT - 1, the original ID. */
function unsignedPart(msg: Uint8Array, tsigStart: number, originalId: number): Buffer {
  const out = Buffer.from(msg.subarray(0, tsigStart));
  out.writeUInt16BE(originalId, 0);
  out.writeUInt16BE(out.readUInt16BE(10) - 1, 10);
  return out;
}

function computeMac(
  key: TsigKey,
  priorMac: Buffer | undefined,
  message: Uint8Array,
  vars: Variables,
  timersOnly: boolean,
): Buffer {
  const hmac = createHmac(TSIG_ALGORITHMS[key.algorithm].hash, key.secret);
  if (priorMac) hmac.update(Buffer.concat([u16b(priorMac.length), priorMac]));
  hmac.update(message);
  if (timersOnly) {
    hmac.update(Buffer.concat([u48(vars.timeSigned), u16b(vars.fudge)]));
  } else {
    hmac.update(
      Buffer.concat([
        nameToWire(key.name),
        u16b(CLASS.ANY),
        Buffer.alloc(4), // TTL 0
        nameToWire(key.algorithm),
        u48(vars.timeSigned),
        u16b(vars.fudge),
        u16b(vars.error),
        u16b(vars.other.length),
        vars.other,
      ]),
    );
  }
  return hmac.digest();
}

function tsigRecord(key: TsigKey, mac: Buffer, originalId: number, vars: Variables): Buffer {
  const rdata = Buffer.concat([
    nameToWire(key.algorithm),
    u48(vars.timeSigned),
    u16b(vars.fudge),
    u16b(mac.length),
    mac,
    u16b(originalId),
    u16b(vars.error),
    u16b(vars.other.length),
    vars.other,
  ]);
  const head = Buffer.alloc(10);
  head.writeUInt16BE(TYPE.TSIG, 0);
  head.writeUInt16BE(CLASS.ANY, 2);
  head.writeUInt32BE(0, 4);
  head.writeUInt16BE(rdata.length, 8);
  return Buffer.concat([nameToWire(key.name), head, rdata]);
}

function appendTsig(message: Uint8Array, record: Buffer): Buffer {
  const out = Buffer.concat([message, record]);
  out.writeUInt16BE(out.readUInt16BE(10) + 1, 10);
  return out;
}

export interface SignOptions {
  /** Seconds since the epoch. */
  now: number;
  fudge?: number;
  error?: number;
  other?: Uint8Array;
  /** For a response: the request's MAC. */
  requestMac?: Buffer;
}

/** Signs one message (a request, or a single-message response); returns it with TSIG appended. */
export function signMessage(message: Uint8Array, key: TsigKey, options: SignOptions): Buffer {
  const vars: Variables = {
    timeSigned: options.now,
    fudge: options.fudge ?? DEFAULT_FUDGE,
    error: options.error ?? 0,
    other: options.other ?? new Uint8Array(0),
  };
  const mac = computeMac(key, options.requestMac, message, vars, false);
  return appendTsig(message, tsigRecord(key, mac, u16(message, 0), vars));
}

/** An unsigned TSIG error (BADKEY, BADSIG): MAC size 0, as §5.3.2 asks. */
export function unsignedTsigError(
  message: Uint8Array,
  request: TsigRecord,
  error: number,
  now: number,
): Buffer {
  const record = Buffer.concat([
    nameToWire(request.keyName),
    Buffer.from([0, TYPE.TSIG, 0, CLASS.ANY, 0, 0, 0, 0]),
    u16b(nameToWire(request.algorithm).length + 16),
    nameToWire(request.algorithm),
    u48(now),
    u16b(request.fudge),
    u16b(0),
    u16b(request.originalId),
    u16b(error),
    u16b(0),
  ]);
  return appendTsig(message, record);
}

/**
 * Signs the messages of one multi-message answer in order: the first covers the request MAC
 * and all variables, each later one the previous MAC and the timers (RFC 8945 §5.3.1).
 */
export class TsigStreamSigner {
  private priorMac: Buffer;
  private first = true;

  constructor(
    private readonly key: TsigKey,
    requestMac: Buffer,
    private readonly now: () => number,
  ) {
    this.priorMac = requestMac;
  }

  sign(message: Uint8Array): Buffer {
    const vars: Variables = {
      timeSigned: this.now(),
      fudge: DEFAULT_FUDGE,
      error: 0,
      other: new Uint8Array(0),
    };
    const mac = computeMac(this.key, this.priorMac, message, vars, !this.first);
    this.first = false;
    this.priorMac = mac;
    return appendTsig(message, tsigRecord(this.key, mac, u16(message, 0), vars));
  }
}

export type VerifyResult =
  | { ok: true; key: TsigKey; tsig: TsigRecord }
  | { ok: false; error: number; tsig: TsigRecord; key?: TsigKey };

/**
 * Checks a signed message against the known keys. `priorMac` is the request MAC when checking
 * a response; `timersOnly` for the later messages of a multi-message answer.
 */
export function verifyMessage(
  msg: Uint8Array,
  tsig: TsigRecord,
  keys: readonly TsigKey[],
  now: number,
  options: { priorMac?: Buffer; timersOnly?: boolean } = {},
): VerifyResult {
  const key = keys.find((k) => k.name === tsig.keyName && k.algorithm === tsig.algorithm);
  if (!key) return { ok: false, error: TSIG_ERROR.BADKEY, tsig };
  const full = TSIG_ALGORITHMS[key.algorithm].bytes;
  // Truncated MACs are allowed down to half the hash and never below 10 bytes (§5.2.2.1).
  if (tsig.mac.length > full || tsig.mac.length < Math.max(10, full / 2))
    return { ok: false, error: TSIG_ERROR.BADSIG, tsig, key };
  const vars = {
    timeSigned: tsig.timeSigned,
    fudge: tsig.fudge,
    error: tsig.error,
    other: tsig.other,
  };
  const expected = computeMac(
    key,
    options.priorMac,
    unsignedPart(msg, tsig.start, tsig.originalId),
    vars,
    options.timersOnly ?? false,
  ).subarray(0, tsig.mac.length);
  if (!timingSafeEqual(expected, tsig.mac))
    return { ok: false, error: TSIG_ERROR.BADSIG, tsig, key };
  if (Math.abs(now - tsig.timeSigned) > tsig.fudge)
    return { ok: false, error: TSIG_ERROR.BADTIME, tsig, key };
  return { ok: true, key, tsig };
}

/** Parses and verifies in one step: for checking responses (tests, NOTIFY answers). */
export function verifyResponse(
  msg: Uint8Array,
  keys: readonly TsigKey[],
  now: number,
  priorMac: Buffer,
  timersOnly = false,
): VerifyResult | undefined {
  const tsig = findTsig(msg, parseMessage(msg));
  return tsig && verifyMessage(msg, tsig, keys, now, { priorMac, timersOnly });
}

/** BADTIME answers are signed and carry the server's time as other data (§5.2.3). */
export function serverTimeOther(now: number): Buffer {
  return u48(now);
}
