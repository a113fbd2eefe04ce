/**
 * The one table of DNS numbers (RFC 1035, 6891, 1996, 8914): record types, classes, opcodes,
 * response codes and header flags, for the resolver, its fast path, the upstream client and
 * the RPZ primary alike.
 */

export const TYPE = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  NAPTR: 35,
  OPT: 41,
  DS: 43,
  RRSIG: 46,
  NSEC: 47,
  DNSKEY: 48,
  NSEC3: 50,
  SVCB: 64,
  HTTPS: 65,
  TSIG: 250,
  IXFR: 251,
  AXFR: 252,
  ANY: 255,
  CAA: 257,
} as const;

/** Mnemonic of a type number in the table (for dns-packet, which speaks mnemonics). */
export const TYPE_NAME: ReadonlyMap<number, keyof typeof TYPE> = new Map(
  Object.entries(TYPE).map(([name, value]) => [value, name as keyof typeof TYPE]),
);

export const CLASS = { IN: 1, CH: 3, NONE: 254, ANY: 255 } as const;

export const OPCODE = { QUERY: 0, IQUERY: 1, STATUS: 2, NOTIFY: 4, UPDATE: 5 } as const;

/** RCODE 0-15 sit in the header; BADVERS (16) needs the OPT record's extended bits. */
export const RCODE = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
  NOTAUTH: 9,
  BADVERS: 16,
} as const;

/** Mnemonic of a response code in the table (for logs). */
export const RCODE_NAME: ReadonlyMap<number, keyof typeof RCODE> = new Map(
  Object.entries(RCODE).map(([name, value]) => [value, name as keyof typeof RCODE]),
);

/** Header flags as the 16-bit word at offset 2. */
export const FLAG = {
  QR: 0x8000,
  AA: 0x0400,
  TC: 0x0200,
  RD: 0x0100,
  RA: 0x0080,
  CD: 0x0010,
} as const;

/** The CD (checking disabled) bit as it sits in the header's fourth byte. */
export const CD_BIT = FLAG.CD;

/** RFC 8914 Extended DNS Error codes we send. */
export const EDE = { BLOCKED: 15, FILTERED: 17 } as const;
/** EDNS option codes. */
export const OPTION = { PADDING: 12, EDE: 15 } as const;

export const HEADER_BYTES = 12;
/** The question name always sits right after the header: compression pointers aim here. */
export const QNAME_OFFSET = HEADER_BYTES;

export const opcodeOf = (flags: number) => (flags >> 11) & 0xf;
