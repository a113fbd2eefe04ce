/**
 * Builds a signed bundle from canonical expressions. Deterministic: the same expressions,
 * metadata and key give the same bytes (Ed25519 signatures are deterministic).
 */
import * as ed from '@noble/ed25519';
import { domainExpression } from '../canonical/url.js';
import { defaultSha256, encodeAscii, entryHash, filterHash, type Sha256 } from '../hash.js';
import { sortUniquePairs } from '../hash-array.js';
import { keyId, publicKeyOf } from '../keys.js';
import { buildPrefilter, prefilterBits } from '../prefilter.js';
import type { ListEntry } from '../sources/entries.js';
import {
  type BundleMeta,
  FLAG_PLAINTEXT,
  FORMAT_VERSION,
  HEADER_BYTES,
  HeaderField,
  labelBit,
  MAGIC,
  SIGNATURE_CONTEXT,
  sectionOffsets,
  URL_MASK_BIT,
} from './layout.js';
import { type Expressions, encodePlaintext } from './plaintext.js';

export type { Expressions } from './plaintext.js';

export interface BuildOptions {
  meta: Omit<BundleMeta, 'publisher'>;
  secretKey: Uint8Array;
  /** Include the expressions in plain text. Only for lists whose licence allows it. */
  plaintext?: boolean;
  sha256?: Sha256;
}

export function expressionsOf(entries: Iterable<ListEntry>): Expressions {
  const block = new Set<string>();
  const allow = new Set<string>();
  for (const e of entries) {
    const expression = e.kind === 'domain' ? domainExpression(e.host) : e.expression;
    (e.allow ? allow : block).add(expression);
  }
  return { block: [...block], allow: [...allow] };
}

/** Domain expressions are `host/`; anything with more after the first slash is URL-level. */
export function isDomainExpression(expression: string): boolean {
  return expression.indexOf('/') === expression.length - 1;
}

function labelCount(host: string): number {
  let labels = 1;
  for (let i = host.indexOf('.'); i >= 0; i = host.indexOf('.', i + 1)) labels++;
  return labels;
}

function labelMask(expressions: string[]): number {
  let mask = 0;
  for (const e of expressions) {
    mask |= isDomainExpression(e) ? labelBit(labelCount(e)) : URL_MASK_BIT;
  }
  return mask >>> 0;
}

function hashAll(expressions: string[], sha256: Sha256): Uint32Array {
  const pairs = new Uint32Array(expressions.length * 2);
  expressions.forEach((e, i) => {
    entryHash(sha256, e, pairs, i * 2);
  });
  return sortUniquePairs(pairs);
}

export async function buildBundle(
  expressions: Expressions,
  options: BuildOptions,
): Promise<Uint8Array> {
  const sha256 = options.sha256 ?? defaultSha256;
  // Order does not matter here: hashes are sorted, and the plaintext section sorts itself.
  const block = [...new Set(expressions.block)];
  const allow = [...new Set(expressions.allow)];
  const publicKey = await publicKeyOf(options.secretKey);
  const meta: BundleMeta = { ...options.meta, publisher: keyId(publicKey) };
  // Fixed key order keeps the bytes stable.
  const metadata = encodeAscii(
    JSON.stringify({
      id: meta.id,
      name: meta.name,
      category: meta.category,
      publisher: meta.publisher,
      sequence: meta.sequence,
      created: meta.created,
      expires: meta.expires,
      licence: meta.licence,
    }),
  );
  const blockHashes = hashAll(block, sha256);
  const allowHashes = hashAll(allow, sha256);
  const log2Bits = prefilterBits(block.length + allow.length);
  const prefilter = buildPrefilter([...block, ...allow].map(filterHash), log2Bits);
  const plaintext = options.plaintext ? encodePlaintext(block, allow) : new Uint8Array(0);

  const header = {
    version: FORMAT_VERSION,
    flags: options.plaintext ? FLAG_PLAINTEXT : 0,
    metadataLength: metadata.length,
    blockCount: blockHashes.length / 2,
    allowCount: allowHashes.length / 2,
    blockLabelMask: labelMask(block),
    allowLabelMask: labelMask(allow),
    prefilterLog2Bits: log2Bits,
    plaintextLength: plaintext.length,
  };
  const at = sectionOffsets(header);
  const bytes = new Uint8Array(at.total);
  const view = new DataView(bytes.buffer);
  bytes.set(MAGIC, HeaderField.magic);
  view.setUint16(HeaderField.version, header.version, true);
  view.setUint16(HeaderField.flags, header.flags, true);
  view.setUint32(HeaderField.metadataLength, header.metadataLength, true);
  view.setUint32(HeaderField.blockCount, header.blockCount, true);
  view.setUint32(HeaderField.allowCount, header.allowCount, true);
  view.setUint32(HeaderField.blockLabelMask, header.blockLabelMask, true);
  view.setUint32(HeaderField.allowLabelMask, header.allowLabelMask, true);
  view.setUint8(HeaderField.prefilterLog2Bits, header.prefilterLog2Bits);
  view.setUint32(HeaderField.plaintextLength, header.plaintextLength, true);
  bytes.set(metadata, HEADER_BYTES);
  writePairs(view, at.block, blockHashes);
  writePairs(view, at.allow, allowHashes);
  bytes.set(prefilter, at.prefilter);
  bytes.set(plaintext, at.plaintext);
  const signature = await ed.signAsync(
    await signedMessage(bytes.subarray(0, at.signature)),
    options.secretKey,
  );
  bytes.set(signature, at.signature);
  return bytes;
}

function writePairs(view: DataView, offset: number, pairs: Uint32Array): void {
  for (let i = 0; i < pairs.length; i++) view.setUint32(offset + i * 4, pairs[i] as number, true);
}

/** The message the signature covers: a context string and the SHA-256 of the content. */
export async function signedMessage(
  content: Uint8Array,
  sha256?: (content: Uint8Array) => Uint8Array,
): Promise<Uint8Array> {
  const digest = sha256
    ? sha256(content)
    : new Uint8Array(await crypto.subtle.digest('SHA-256', content as Uint8Array<ArrayBuffer>));
  const context = encodeAscii(SIGNATURE_CONTEXT);
  const message = new Uint8Array(context.length + digest.length);
  message.set(context);
  message.set(digest, context.length);
  return message;
}
