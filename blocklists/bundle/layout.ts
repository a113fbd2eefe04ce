/**
 * Byte layout of a `.klb` bundle, version 1. docs/list-format.md describes it for people; this
 * file is the one place the code takes it from. All integers are little-endian.
 */
export const MAGIC = [0x4b, 0x4c, 0x42, 0x00]; // "KLB\0"
export const FORMAT_VERSION = 1;
export const HEADER_BYTES = 48;
export const SIGNATURE_BYTES = 64;
export const SECTION_ALIGN = 8;
export const FLAG_PLAINTEXT = 1;
/** Exact-name entries are present: loaders that predate them refuse the bundle (flags). */
export const FLAG_EXACT = 2;
/** Bit 0 of a label mask: the list has URL-level expressions. Bit n: a domain with n labels. */
export const URL_MASK_BIT = 1;
export const MAX_MASK_LABELS = 31;
/** What the signature covers: this prefix, then SHA-256 of every byte before the signature. */
export const SIGNATURE_CONTEXT = 'kalkan-bundle-v1';

export const HeaderField = {
  magic: 0,
  version: 4,
  flags: 6,
  metadataLength: 8,
  blockCount: 12,
  allowCount: 16,
  blockLabelMask: 20,
  allowLabelMask: 24,
  prefilterLog2Bits: 28,
  plaintextLength: 32,
} as const;

export interface BundleMeta {
  /** Short stable identifier, e.g. `kalkan-abuse`. */
  id: string;
  name: string;
  /** `abuse`, `adult`, or any other category named as data. */
  category: string;
  /** Key id (hex) of the publisher key that signed the bundle. */
  publisher: string;
  sequence: number;
  /** ISO 8601 times. */
  created: string;
  expires: string;
  licence: string;
}

export interface Header {
  version: number;
  flags: number;
  metadataLength: number;
  blockCount: number;
  allowCount: number;
  blockLabelMask: number;
  allowLabelMask: number;
  prefilterLog2Bits: number;
  plaintextLength: number;
}

export function align(offset: number): number {
  return Math.ceil(offset / SECTION_ALIGN) * SECTION_ALIGN;
}

/** Where each section starts and ends, derived from the header alone. */
export function sectionOffsets(h: Header) {
  const metadata = HEADER_BYTES;
  const block = align(metadata + h.metadataLength);
  const allow = align(block + h.blockCount * 8);
  const prefilter = align(allow + h.allowCount * 8);
  const plaintext = align(prefilter + 2 ** h.prefilterLog2Bits / 8);
  const signature = align(plaintext + h.plaintextLength);
  return {
    metadata,
    block,
    allow,
    prefilter,
    plaintext,
    signature,
    total: signature + SIGNATURE_BYTES,
  };
}

/** Label-mask bit for a domain expression `host/`. */
export function labelBit(labels: number): number {
  return 1 << Math.min(labels, MAX_MASK_LABELS);
}
