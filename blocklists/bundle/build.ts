/**
 * Builds a signed bundle from canonical expressions. Deterministic: the same expressions (in any
 * order), metadata and key give the same bytes (Ed25519 signatures are deterministic).
 */
import * as ed from '@noble/ed25519';
import { domainExpression } from '../canonical/url.js';
import { defaultSha256, encodeAscii, type Sha256 } from '../hash.js';
import { keyId, publicKeyOf } from '../keys.js';
import { buildPrefilter, prefilterBits, setPrefilterBits } from '../prefilter.js';
import type { ListEntry } from '../sources/parse.js';
import { EntryHashes } from './entry-hashes.js';
import {
  type BundleMeta,
  FLAG_EXACT,
  FLAG_PLAINTEXT,
  FORMAT_VERSION,
  HEADER_BYTES,
  HeaderField,
  MAGIC,
  SIGNATURE_CONTEXT,
  sectionOffsets,
} from './layout.js';
import { PlaintextSection } from './plaintext.js';

export interface Expressions {
  block: string[];
  allow: string[];
}

export interface BuildOptions {
  meta: Omit<BundleMeta, 'publisher'>;
  secretKey: Uint8Array;
  /** Include the expressions in plain text. Only for lists whose licence allows it. */
  plaintext?: boolean;
  sha256?: Sha256;
  /** A SHA-256 of the signed bytes instead of WebCrypto's, which copies them (Node passes its own). */
  digest?: (content: Uint8Array) => Uint8Array;
}

/** The expression a bundle hashes for an entry: `host/`, `host` (exact) or `host/path`. */
export function expressionOf(entry: ListEntry): string {
  if (entry.kind === 'url') return entry.expression;
  return entry.kind === 'domain' ? domainExpression(entry.host) : entry.host;
}

export function expressionsOf(entries: Iterable<ListEntry>): Expressions {
  const block = new Set<string>();
  const allow = new Set<string>();
  for (const e of entries) (e.allow ? allow : block).add(expressionOf(e));
  return { block: [...block], allow: [...allow] };
}

export { isDomainExpression, isExactExpression } from './entry-hashes.js';

export async function buildBundle(
  expressions: Expressions,
  options: BuildOptions,
): Promise<Uint8Array> {
  const builder = new BundleBuilder(options);
  for (const e of expressions.block) builder.add(e, false);
  for (const e of expressions.allow) builder.add(e, true);
  return (await builder.finish()).bytes;
}

export interface BuiltBundle {
  bytes: Uint8Array;
  blockCount: number;
  allowCount: number;
}

/**
 * Takes expressions one at a time (a source file is streamed into it) and writes the bundle at
 * the end. Only hashes are kept, and the expressions themselves only for a plaintext section.
 */
export class BundleBuilder {
  private readonly sha256: Sha256;
  private readonly hashes: Record<'block' | 'allow', EntryHashes>;
  private readonly plaintext: Record<'block' | 'allow', string[]> | undefined;
  private readonly withdrawn: [string, 'block' | 'allow'][] = [];

  constructor(private readonly options: BuildOptions) {
    this.sha256 = options.sha256 ?? defaultSha256;
    this.hashes = { block: new EntryHashes(this.sha256), allow: new EntryHashes(this.sha256) };
    this.plaintext = options.plaintext ? { block: [], allow: [] } : undefined;
  }

  add(expression: string, allow: boolean): void {
    const kind = allow ? 'allow' : 'block';
    this.hashes[kind].add(expression);
    if (this.plaintext) {
      // Reading a character makes V8 flatten a joined string, so the copy kept here no longer
      // points into the source file's text (which would keep all of it alive).
      expression.charCodeAt(0);
      this.plaintext[kind].push(expression);
    }
  }

  /** Takes an expression out of the bundle, whether it was added before or is added later. */
  withdraw(expression: string, allow: boolean): void {
    const kind = allow ? 'allow' : 'block';
    this.hashes[kind].withdraw(expression);
    if (this.plaintext) this.withdrawn.push([expression, kind]);
  }

  async finish(): Promise<BuiltBundle> {
    const { options } = this;
    const block = this.hashes.block.finish();
    const allow = this.hashes.allow.finish();
    const plaintext = this.plaintext && withoutWithdrawn(this.plaintext, this.withdrawn);
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
    const blockCount = block.pairs.length / 2;
    const allowCount = allow.pairs.length / 2;
    const log2Bits = prefilterBits(blockCount + allowCount);
    const prefilter = buildPrefilter(block.filterHashes, log2Bits);
    setPrefilterBits(prefilter, allow.filterHashes, log2Bits);
    const plaintextSection = plaintext && new PlaintextSection(plaintext.block, plaintext.allow);

    const header = {
      version: FORMAT_VERSION,
      flags: (plaintext ? FLAG_PLAINTEXT : 0) | (block.hasExact || allow.hasExact ? FLAG_EXACT : 0),
      metadataLength: metadata.length,
      blockCount,
      allowCount,
      blockLabelMask: block.labelMask,
      allowLabelMask: allow.labelMask,
      prefilterLog2Bits: log2Bits,
      plaintextLength: plaintextSection?.length ?? 0,
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
    writePairs(view, at.block, block.pairs);
    writePairs(view, at.allow, allow.pairs);
    bytes.set(prefilter, at.prefilter);
    plaintextSection?.writeInto(bytes, at.plaintext);
    const signature = await ed.signAsync(
      await signedMessage(bytes.subarray(0, at.signature), options.digest),
      options.secretKey,
    );
    bytes.set(signature, at.signature);
    return { bytes, blockCount, allowCount };
  }
}

function withoutWithdrawn(
  plaintext: Record<'block' | 'allow', string[]>,
  withdrawn: [string, 'block' | 'allow'][],
): Record<'block' | 'allow', string[]> {
  if (withdrawn.length === 0) return plaintext;
  const gone = new Set(withdrawn.map(([e, kind]) => `${kind} ${e}`));
  return {
    block: plaintext.block.filter((e) => !gone.has(`block ${e}`)),
    allow: plaintext.allow.filter((e) => !gone.has(`allow ${e}`)),
  };
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
