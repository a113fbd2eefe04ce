/**
 * SVCB records (RFC 9460) in wire form, for the designated-resolver answer of RFC 9462: the
 * keys this resolver announces (alpn, port, ipv4hint, ipv6hint, dohpath), written in key order.
 */
import { isIPv4 } from 'node:net';
import { ipv4Bytes, ipv6Bytes } from '../net/address-bytes.js';
import { CLASS, TYPE } from './codes.js';
import { nameToWire } from './name.js';

export interface SvcbEndpoint {
  priority: number;
  target: string;
  alpn: readonly string[];
  port: number;
  /** Addresses the target is reached at (ipv4hint/ipv6hint). */
  hints: readonly string[];
  /** RFC 9461: the DoH URI template's path, e.g. "/dns-query{?dns}". */
  dohpath?: string;
}

const KEY = { alpn: 1, port: 3, ipv4hint: 4, ipv6hint: 6, dohpath: 7 } as const;
/** The question name, compressed (it is always at offset 12 in our answers). */
const QUESTION_NAME = Buffer.from([0xc0, 0x0c]);

export function svcbRdata(e: SvcbEndpoint): Buffer {
  const params: Buffer[] = [];
  const param = (key: number, value: Buffer) => {
    const head = Buffer.alloc(4);
    head.writeUInt16BE(key, 0);
    head.writeUInt16BE(value.length, 2);
    params.push(head, value);
  };
  param(
    KEY.alpn,
    Buffer.concat(e.alpn.map((id) => Buffer.concat([Buffer.from([id.length]), Buffer.from(id)]))),
  );
  const port = Buffer.alloc(2);
  port.writeUInt16BE(e.port);
  param(KEY.port, port);
  const v4 = e.hints.filter((a) => isIPv4(a));
  const v6 = e.hints.filter((a) => !isIPv4(a));
  if (v4.length) param(KEY.ipv4hint, Buffer.concat(v4.map(ipv4Bytes)));
  if (v6.length) param(KEY.ipv6hint, Buffer.concat(v6.map(ipv6Bytes)));
  if (e.dohpath) param(KEY.dohpath, Buffer.from(e.dohpath, 'utf8'));
  const priority = Buffer.alloc(2);
  priority.writeUInt16BE(e.priority);
  return Buffer.concat([priority, nameToWire(e.target), ...params]);
}

/** A whole record: `owner` undefined means the question's name (compressed). */
export function record(type: number, ttl: number, rdata: Uint8Array, owner?: string): Buffer {
  const name = owner === undefined ? QUESTION_NAME : nameToWire(owner);
  const fixed = Buffer.alloc(10);
  fixed.writeUInt16BE(type, 0);
  fixed.writeUInt16BE(CLASS.IN, 2);
  fixed.writeUInt32BE(ttl, 4);
  fixed.writeUInt16BE(rdata.length, 8);
  return Buffer.concat([name, fixed, rdata]);
}

export const svcbRecord = (ttl: number, e: SvcbEndpoint) => record(TYPE.SVCB, ttl, svcbRdata(e));
