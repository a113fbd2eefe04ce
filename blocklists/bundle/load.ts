/**
 * Verifies a bundle against pinned publisher keys and maps its sections into typed arrays.
 * Loading copies bytes; nothing is parsed per entry. Every refusal is a BundleError with its
 * own code, and the caller's current lists are untouched.
 */
import * as ed from '@noble/ed25519';
import { keyId } from '../keys.js';
import { signedMessage } from './build.js';
import { BundleError } from './errors.js';
import {
  type BundleMeta,
  FLAG_EXACT,
  FLAG_PLAINTEXT,
  FORMAT_VERSION,
  HEADER_BYTES,
  type Header,
  HeaderField,
  MAGIC,
  SIGNATURE_BYTES,
  sectionOffsets,
} from './layout.js';

export interface LoadedBundle {
  meta: BundleMeta;
  blockHashes: Uint32Array;
  allowHashes: Uint32Array;
  blockLabelMask: number;
  allowLabelMask: number;
  prefilter: Uint8Array;
  prefilterLog2Bits: number;
  plaintext: Uint8Array | undefined;
  byteLength: number;
  /** Exact-name entries are present (flag bit 1): the matcher checks the full name as such. */
  exactNames?: boolean;
}

export interface TrustOptions {
  /** Pinned publisher public keys (32-byte Ed25519). */
  trustedKeys: Uint8Array[];
  /** The sequence of the bundle with the same id already in force; a lower one is refused. */
  currentSequence?: number;
  /** The list id the caller subscribed to: a bundle with another id is refused ('wrong-list'). */
  expectedId?: string;
  /** The category the caller expects: a bundle of another category is refused ('wrong-list'). */
  expectedCategory?: string;
  /**
   * Keep an expired bundle rather than refuse it: a resolver restarting from its last good copy
   * filters with it (and warns) instead of serving unfiltered.
   */
  acceptExpired?: boolean;
  now?: Date;
  /** An Ed25519 verifier to use instead of the pure-JS one (Node passes its native one). */
  verify?: (signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array) => boolean;
  /** A SHA-256 of bytes to use instead of WebCrypto's (Node's: 0.1 s less for a 9 MB list). */
  digest?: (content: Uint8Array) => Uint8Array;
  /**
   * The caller hands the bytes over and never changes them: the prefilter, and on a
   * little-endian host the hash arrays, are views on them, not copies (one copy of a big list
   * in memory instead of two).
   */
  adoptBytes?: boolean;
}

const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

export function readHeader(bytes: Uint8Array): Header {
  if (bytes.length < HEADER_BYTES + SIGNATURE_BYTES) {
    throw new BundleError('truncated', `bundle is ${bytes.length} bytes, shorter than any bundle`);
  }
  if (!MAGIC.every((b, i) => bytes[i] === b)) {
    throw new BundleError('bad-magic', 'not a Kalkan list bundle (bad magic bytes)');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint16(HeaderField.version, true);
  if (version !== FORMAT_VERSION) {
    throw new BundleError(
      'unsupported-version',
      `bundle format version ${version} is not supported (this build reads ${FORMAT_VERSION})`,
    );
  }
  const header: Header = {
    version,
    flags: view.getUint16(HeaderField.flags, true),
    metadataLength: view.getUint32(HeaderField.metadataLength, true),
    blockCount: view.getUint32(HeaderField.blockCount, true),
    allowCount: view.getUint32(HeaderField.allowCount, true),
    blockLabelMask: view.getUint32(HeaderField.blockLabelMask, true),
    allowLabelMask: view.getUint32(HeaderField.allowLabelMask, true),
    prefilterLog2Bits: view.getUint8(HeaderField.prefilterLog2Bits),
    plaintextLength: view.getUint32(HeaderField.plaintextLength, true),
  };
  const reservedClear =
    bytes.subarray(29, 32).every((b) => b === 0) &&
    bytes.subarray(36, HEADER_BYTES).every((b) => b === 0);
  if (
    !reservedClear ||
    header.flags & ~(FLAG_PLAINTEXT | FLAG_EXACT) ||
    header.prefilterLog2Bits < 6 ||
    header.prefilterLog2Bits > 31
  ) {
    throw new BundleError(
      'corrupt',
      'bundle header is corrupt (reserved bytes, flags or filter size out of range)',
    );
  }
  if (!(header.flags & FLAG_PLAINTEXT) && header.plaintextLength !== 0) {
    throw new BundleError(
      'corrupt',
      'bundle header is corrupt (plaintext length without plaintext flag)',
    );
  }
  const expected = sectionOffsets(header).total;
  if (bytes.length < expected) {
    throw new BundleError(
      'truncated',
      `bundle is truncated: ${bytes.length} bytes, header says ${expected}`,
    );
  }
  if (bytes.length > expected) {
    throw new BundleError(
      'corrupt',
      `bundle has ${bytes.length - expected} bytes after its signature`,
    );
  }
  return header;
}

function readMeta(bytes: Uint8Array, header: Header): BundleMeta {
  let meta: unknown;
  try {
    meta = JSON.parse(
      new TextDecoder('utf-8', { fatal: true }).decode(
        bytes.subarray(HEADER_BYTES, HEADER_BYTES + header.metadataLength),
      ),
    );
  } catch {
    throw new BundleError('corrupt', 'bundle metadata is not valid JSON');
  }
  const m = meta as Partial<Record<keyof BundleMeta, unknown>>;
  const strings = ['id', 'name', 'category', 'publisher', 'created', 'expires', 'licence'] as const;
  if (
    typeof meta !== 'object' ||
    meta === null ||
    !strings.every((k) => typeof m[k] === 'string') ||
    !Number.isSafeInteger(m.sequence)
  ) {
    throw new BundleError('corrupt', 'bundle metadata lacks a required field');
  }
  return meta as BundleMeta;
}

function pairsOf(bytes: Uint8Array, offset: number, count: number, adopt?: boolean): Uint32Array {
  if (adopt && HOST_IS_LITTLE_ENDIAN && (bytes.byteOffset + offset) % 4 === 0)
    return new Uint32Array(bytes.buffer, bytes.byteOffset + offset, count * 2);
  return copyPairs(bytes, offset, count);
}

/** A section's bytes: a view when the caller handed the bytes over, else a copy of its own. */
function sectionOf(bytes: Uint8Array, offset: number, length: number, adopt?: boolean): Uint8Array {
  return adopt ? bytes.subarray(offset, offset + length) : bytes.slice(offset, offset + length);
}

function copyPairs(bytes: Uint8Array, offset: number, count: number): Uint32Array {
  const out = new Uint32Array(count * 2);
  if (HOST_IS_LITTLE_ENDIAN) {
    new Uint8Array(out.buffer).set(bytes.subarray(offset, offset + count * 8));
  } else {
    const view = new DataView(bytes.buffer, bytes.byteOffset + offset, count * 8);
    for (let i = 0; i < out.length; i++) out[i] = view.getUint32(i * 4, true);
  }
  return out;
}

/** Header, metadata and layout without checking the signature: for `kalkan lists info`. */
export function inspectBundle(bytes: Uint8Array) {
  const header = readHeader(bytes);
  return { header, meta: readMeta(bytes, header), sections: sectionOffsets(header) };
}

export async function loadBundle(bytes: Uint8Array, trust: TrustOptions): Promise<LoadedBundle> {
  const header = readHeader(bytes);
  const meta = readMeta(bytes, header);
  const at = sectionOffsets(header);
  const publicKey = trust.trustedKeys.find((k) => keyId(k) === meta.publisher);
  if (!publicKey) {
    throw new BundleError(
      'unknown-key',
      `list "${meta.id}" is signed by key ${meta.publisher}, which is not a trusted publisher key`,
    );
  }
  const signature = bytes.subarray(at.signature, at.total);
  const message = await signedMessage(bytes.subarray(0, at.signature), trust.digest);
  const valid = trust.verify
    ? trust.verify(signature, message, publicKey)
    : await ed.verifyAsync(signature, message, publicKey);
  if (!valid) {
    throw new BundleError(
      'bad-signature',
      `list "${meta.id}" has a bad signature: it was changed after signing or is damaged`,
    );
  }
  if (trust.expectedId !== undefined && meta.id !== trust.expectedId) {
    throw new BundleError(
      'wrong-list',
      `the bundle is list "${meta.id}" (${meta.category}), not the subscribed list "${trust.expectedId}"`,
    );
  }
  if (trust.expectedCategory !== undefined && meta.category !== trust.expectedCategory) {
    throw new BundleError(
      'wrong-list',
      `list "${meta.id}" has category "${meta.category}", not the expected "${trust.expectedCategory}"`,
    );
  }
  const now = trust.now ?? new Date();
  const expires = Date.parse(meta.expires);
  if (!trust.acceptExpired && !(expires > now.getTime())) {
    throw new BundleError(
      'expired',
      `list "${meta.id}" sequence ${meta.sequence} expired at ${meta.expires}`,
    );
  }
  if (trust.currentSequence !== undefined && meta.sequence < trust.currentSequence) {
    throw new BundleError(
      'sequence-rollback',
      `list "${meta.id}" sequence ${meta.sequence} is older than sequence ${trust.currentSequence} already in force`,
    );
  }
  return {
    meta,
    blockHashes: pairsOf(bytes, at.block, header.blockCount, trust.adoptBytes),
    allowHashes: pairsOf(bytes, at.allow, header.allowCount, trust.adoptBytes),
    blockLabelMask: header.blockLabelMask,
    allowLabelMask: header.allowLabelMask,
    prefilter: sectionOf(bytes, at.prefilter, 2 ** header.prefilterLog2Bits / 8, trust.adoptBytes),
    prefilterLog2Bits: header.prefilterLog2Bits,
    plaintext:
      header.flags & FLAG_PLAINTEXT
        ? bytes.slice(at.plaintext, at.plaintext + header.plaintextLength)
        : undefined,
    byteLength: bytes.length,
    exactNames: (header.flags & FLAG_EXACT) !== 0,
  };
}
