/**
 * What the cache and the CNAME check need to know about an upstream response, found by one
 * walk over its records without decoding them: TTL offsets, the TTL to keep it for, the CNAME
 * targets, and where its OPT record sits.
 */
import { RCODE, TYPE } from './codes.js';
import { readU16, readU32, recordEnd, recordFixed } from './message.js';
import { readName, skipName } from './name.js';
import { WireError } from './wire-error.js';

export interface ResponseShape {
  rcode: number;
  /** Offsets of every TTL field except OPT's. */
  ttlOffsets: number[];
  answerCount: number;
  /** Lowest TTL over answer records, or the negative TTL (RFC 2308) for NXDOMAIN/NODATA. */
  ttl: number | undefined;
  /** Where each answer CNAME's RDATA (the target name) starts. */
  cnameTargets: number[];
  /** Where the OPT record starts when it is the last record (it is in practice), else -1. */
  optOffset: number;
  truncated: boolean;
}

/** Walks a response's records; undefined when it is malformed. */
export function shapeOf(msg: Uint8Array): ResponseShape | undefined {
  if (msg.length < 12) return undefined;
  const qd = readU16(msg, 4);
  const an = readU16(msg, 6);
  const ns = readU16(msg, 8);
  const ar = readU16(msg, 10);
  let offset = 12;
  for (let i = 0; i < qd; i++) {
    offset = skipName(msg, offset);
    if (offset < 0) return undefined;
    offset += 4;
  }
  const shape: ResponseShape = {
    rcode: (msg[3] as number) & 0x0f,
    ttlOffsets: [],
    answerCount: an,
    ttl: undefined,
    cnameTargets: [],
    optOffset: -1,
    truncated: ((msg[2] as number) & 0x02) !== 0,
  };
  let answerTtl = Number.POSITIVE_INFINITY;
  let negativeTtl: number | undefined;
  const total = an + ns + ar;
  for (let i = 0; i < total; i++) {
    const start = offset;
    const nameEnd = recordFixed(msg, offset);
    if (nameEnd < 0) return undefined;
    const type = readU16(msg, nameEnd);
    const ttl = readU32(msg, nameEnd + 4);
    const rdlength = readU16(msg, nameEnd + 8);
    offset = recordEnd(msg, nameEnd);
    if (offset < 0) return undefined;
    if (type === TYPE.OPT) {
      if (i === total - 1) shape.optOffset = start;
      continue;
    }
    shape.ttlOffsets.push(nameEnd + 4);
    if (i < an) {
      answerTtl = Math.min(answerTtl, ttl);
      if (type === TYPE.CNAME) shape.cnameTargets.push(nameEnd + 10);
    } else if (i < an + ns && type === TYPE.SOA && rdlength >= 22) {
      // RFC 2308 §5: the negative TTL is min(SOA TTL, SOA MINIMUM).
      negativeTtl = Math.min(ttl, readU32(msg, offset - 4));
    }
  }
  const negative = shape.rcode === RCODE.NXDOMAIN || (shape.rcode === RCODE.NOERROR && an === 0);
  shape.ttl = negative ? negativeTtl : an ? answerTtl : undefined;
  return shape;
}

/** The answer's CNAME targets, lower-cased; undefined when there are none or one is malformed. */
export function cnameTargetsOf(msg: Uint8Array, shape: ResponseShape): string[] | undefined {
  if (shape.cnameTargets.length === 0) return undefined;
  try {
    return shape.cnameTargets.map((offset) => readName(msg, offset).name);
  } catch (error) {
    if (error instanceof WireError) return undefined;
    throw error;
  }
}
