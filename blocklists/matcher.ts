/**
 * Answers "is this name or URL on a list?" over several loaded bundles at once.
 *
 * For a hostname, each suffix `label.…/` whose label count some list holds is checked: first the
 * cheap prefilter, then (rarely) SHA-256 and a binary search. Allow entries of any list beat
 * block entries. An exact-name entry (`host`, no slash) is checked against the full name only.
 * Verdicts are cached in a bounded map.
 */

import { labelBit, URL_MASK_BIT } from './bundle/layout.js';
import type { LoadedBundle } from './bundle/load.js';
import { canonicalHostname } from './canonical/hostname.js';
import { canonicalizeUrl, canonicalUrlExpressions } from './canonical/url.js';
import { defaultSha256, entryHash, filterHash, forEachDomainSuffix, type Sha256 } from './hash.js';
import { containsHash } from './hash-array.js';
import { prefilterMayContain } from './prefilter.js';
import { VerdictCache } from './verdict-cache.js';

export type Verdict =
  | { blocked: true; category: string; listId: string }
  | { blocked: false; allowedBy?: string };

export interface MatcherOptions {
  sha256?: Sha256;
  /** Verdicts remembered per kind (names, URLs); 0 turns the cache off. */
  cacheSize?: number;
}

/** What the matcher keeps of a bundle: the arrays it searches, not the plaintext. */
interface ListIndex {
  id: string;
  category: string;
  /** Its verdicts, made once: a match allocates nothing that outlives it. */
  blocked: Verdict;
  allowed: Verdict;
  blockHashes: Uint32Array;
  allowHashes: Uint32Array;
  blockLabelMask: number;
  allowLabelMask: number;
  prefilter: Uint8Array;
  log2Bits: number;
}

/** Label count of a canonical host. */
function labelCount(host: string): number {
  let labels = 1;
  for (let i = host.indexOf('.'); i >= 0; i = host.indexOf('.', i + 1)) labels++;
  return labels;
}

const NOT_LISTED: Verdict = { blocked: false };
const DEFAULT_CACHE_SIZE = 10_000;

export class Matcher {
  private readonly lists: ListIndex[];
  private readonly sha256: Sha256;
  private readonly labelMask: number;
  /** Some list holds exact-name entries, checked against the full queried host only. */
  private readonly exactNames: boolean;
  private readonly hostCache: VerdictCache<Verdict>;
  private readonly urlCache: VerdictCache<Verdict>;
  private readonly hashOut = new Uint32Array(2);

  constructor(bundles: readonly LoadedBundle[], options: MatcherOptions = {}) {
    this.lists = bundles.map((b) => ({
      id: b.meta.id,
      category: b.meta.category,
      blocked: { blocked: true, category: b.meta.category, listId: b.meta.id },
      allowed: { blocked: false, allowedBy: b.meta.id },
      blockHashes: b.blockHashes,
      allowHashes: b.allowHashes,
      blockLabelMask: b.blockLabelMask,
      allowLabelMask: b.allowLabelMask,
      prefilter: b.prefilter,
      log2Bits: b.prefilterLog2Bits,
    }));
    this.exactNames = bundles.some((b) => b.exactNames);
    this.sha256 = options.sha256 ?? defaultSha256;
    this.labelMask = this.lists.reduce((m, l) => m | l.blockLabelMask | l.allowLabelMask, 0);
    const cacheSize = options.cacheSize ?? DEFAULT_CACHE_SIZE;
    this.hostCache = new VerdictCache(cacheSize);
    this.urlCache = new VerdictCache(cacheSize);
  }

  get size(): number {
    return this.lists.reduce((n, l) => n + (l.blockHashes.length + l.allowHashes.length) / 2, 0);
  }

  /** Matches a hostname (any case, trailing dot allowed, IDN allowed) against domain entries. */
  match(hostname: string): Verdict {
    const cached = this.hostCache.get(hostname);
    if (cached) return cached;
    const canonical = canonicalHostname(hostname);
    const verdict = canonical.ok ? this.matchCanonicalHost(canonical.host) : NOT_LISTED;
    this.hostCache.set(hostname, verdict);
    return verdict;
  }

  /** Matches a URL against domain entries (any depth) and URL-level entries. */
  matchUrl(url: string): Verdict {
    const cached = this.urlCache.get(url);
    if (cached) return cached;
    const verdict = this.matchUrlUncached(url);
    this.urlCache.set(url, verdict);
    return verdict;
  }

  private matchUrlUncached(url: string): Verdict {
    const canonical = canonicalizeUrl(url);
    if (!canonical.ok) return NOT_LISTED;
    const found: Found = {};
    this.walkHost(canonical.host, found);
    if (!found.allowedBy && this.labelMask & URL_MASK_BIT) {
      for (const expression of canonicalUrlExpressions(canonical)) {
        const stop = this.checkExpression(
          filterHash(expression),
          URL_MASK_BIT,
          () => expression,
          found,
        );
        if (stop) break;
      }
    }
    return verdictOf(found);
  }

  private matchCanonicalHost(host: string): Verdict {
    const found: Found = {};
    this.walkHost(host, found);
    return verdictOf(found);
  }

  private walkHost(host: string, found: Found): void {
    if (!this.labelMask) return;
    // An exact-name entry is the bare host: it matches the queried name, never a child of it.
    if (
      this.exactNames &&
      this.checkExpression(filterHash(host), labelBit(labelCount(host)), () => host, found)
    )
      return;
    forEachDomainSuffix(host, (start, labels, filter) =>
      this.checkExpression(filter, labelBit(labels), () => `${host.slice(start)}/`, found),
    );
  }

  /**
   * Checks one expression against every list whose label mask has `bit`; records the first
   * block and any allow in `found`. Returns true once an allow entry matched: nothing can
   * change the verdict after that. SHA-256 runs at most once, only past a prefilter.
   */
  private checkExpression(
    filter: number,
    bit: number,
    expression: () => string,
    found: Found,
  ): boolean {
    if (!(this.labelMask & bit)) return false;
    let hashed = false;
    for (const list of this.lists) {
      const inBlock = (list.blockLabelMask & bit) !== 0;
      const inAllow = (list.allowLabelMask & bit) !== 0;
      if (!(inBlock || inAllow) || !prefilterMayContain(list.prefilter, list.log2Bits, filter))
        continue;
      if (!hashed) {
        entryHash(this.sha256, expression(), this.hashOut, 0);
        hashed = true;
      }
      const high = this.hashOut[0] as number;
      const low = this.hashOut[1] as number;
      if (inAllow && containsHash(list.allowHashes, high, low)) {
        found.allowedBy = list;
        return true;
      }
      if (!found.blockedBy && inBlock && containsHash(list.blockHashes, high, low))
        found.blockedBy = list;
    }
    return false;
  }
}

interface Found {
  blockedBy?: ListIndex;
  allowedBy?: ListIndex;
}

function verdictOf(found: Found): Verdict {
  if (found.allowedBy) return found.allowedBy.allowed;
  if (found.blockedBy) return found.blockedBy.blocked;
  return NOT_LISTED;
}
