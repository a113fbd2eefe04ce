/**
 * What an export can read of a bundle: its plaintext section, split into domain and URL-level
 * entries, without the block entries an allow entry overrides (effective.ts). A hashed-only
 * bundle cannot be exported, by design.
 */
import { isDomainExpression, isExactExpression } from '../bundle/build.js';
import type { LoadedBundle } from '../bundle/load.js';
import { decodePlaintext } from '../bundle/plaintext.js';
import { unshadowedBlocks, unshadowedExact } from './effective.js';

export interface ReadableList {
  id: string;
  category: string;
  sequence: number;
  /** Only those no allow entry overrides: none is equal to or under an allowed domain. */
  blockDomains: string[];
  allowDomains: string[];
  /** Block domains left out because an allow entry for them or a parent wins. */
  shadowedBlocks?: number;
  /** Exact-name entries: the name alone, not its subdomains. None is overridden by an allow entry. */
  blockExact: string[];
  allowExact: string[];
  /** URL-level expressions `host/path`; DNS formats cannot express them. */
  blockUrls: string[];
  allowUrls: string[];
}

export class ExportError extends Error {
  override name = 'ExportError';
}

export function readableList(bundle: LoadedBundle): ReadableList {
  if (!bundle.plaintext) {
    throw new ExportError(
      `list "${bundle.meta.id}" is hashed-only: its entries cannot be read back, so it cannot be exported. ` +
        'Only a publisher whose licence allows it builds a list with --plaintext.',
    );
  }
  const { block, allow } = decodePlaintext(bundle.plaintext);
  const host = (e: string) => e.slice(0, -1);
  const allowDomains = allow.filter(isDomainExpression).map(host);
  const { blockDomains, shadowed } = unshadowedBlocks(
    block.filter(isDomainExpression).map(host),
    allowDomains,
  );
  const allowExact = allow.filter(isExactExpression);
  const exact = unshadowedExact(block.filter(isExactExpression), allowDomains, allowExact);
  const isUrl = (e: string) => !isDomainExpression(e) && !isExactExpression(e);
  return {
    id: bundle.meta.id,
    category: bundle.meta.category,
    sequence: bundle.meta.sequence,
    blockDomains,
    allowDomains,
    blockExact: exact.blockExact,
    allowExact,
    shadowedBlocks: shadowed + exact.shadowed,
    blockUrls: block.filter(isUrl),
    allowUrls: allow.filter(isUrl),
  };
}

/** A comment line for DNS formats that had to leave URL-level entries out. */
export function droppedUrlsNote(list: ReadableList, comment: string): string[] {
  const dropped = list.blockUrls.length + list.allowUrls.length;
  return dropped ? [`${comment} ${dropped} URL-level entries left out: DNS cannot see paths.`] : [];
}

/** A comment line for formats that cannot match a name without its subdomains. */
export function droppedExactNote(list: ReadableList, comment: string): string[] {
  const dropped = list.blockExact.length + list.allowExact.length;
  return dropped
    ? [
        `${comment} ${dropped} exact-name entries left out: this format cannot match a name without its subdomains.`,
      ]
    : [];
}

/** A comment line for every format when block entries were overridden by allow entries. */
export function shadowedNote(list: ReadableList, comment: string): string[] {
  return list.shadowedBlocks
    ? [
        `${comment} ${list.shadowedBlocks} block entries left out: an allow entry for the name or a parent wins.`,
      ]
    : [];
}

export function banner(list: ReadableList, comment: string): string[] {
  return [`${comment} Kalkan list "${list.id}" (${list.category}), sequence ${list.sequence}`];
}
