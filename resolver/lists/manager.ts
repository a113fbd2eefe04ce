/**
 * The lists in force for `kalkan serve`. Each source (a file or a subscription URL) holds its
 * current verified bundle; a refresh loads every source again and, if anything changed, builds
 * new matchers and swaps them in one assignment, so queries see the old lists or the new ones,
 * never none. A bundle that fails verification is logged with its reason and changes nothing.
 * Good bundles are copied to the data dir; a source that cannot be read falls back to its copy.
 * Never silently unfiltered: an expired copy stays in force (with a warning at every refresh),
 * a bundle of another list than the one subscribed is refused, and a required source with no
 * usable copy at all is reported by missing() so the server answers "not ready".
 */
import { type FSWatcher, watch } from 'node:fs';
import { basename, dirname } from 'node:path';
import { type LoadedBundle, loadBundle } from '../../blocklists/bundle/load.js';
import { Matcher } from '../../blocklists/matcher.js';
import { readBytes } from './files.js';
import { nativeEd25519Verify } from './native-ed25519.js';
import { nativeSha256, nativeSha256Bytes } from './native-sha256.js';
import { LastGoodStore } from './store.js';
import { fetchBundle } from './subscription.js';

export interface ListSource {
  /** A file path or an http(s) URL. */
  location: string;
  /** The list id and category expected here (from the config entry); others are refused. */
  id?: string | undefined;
  category?: string | undefined;
  /** Without a usable copy of a required source the filter is not ready. */
  required?: boolean;
}

export interface SourceState {
  location: string;
  expectedId: string | undefined;
  expectedCategory: string | undefined;
  required: boolean;
  bundle: LoadedBundle | undefined;
  loadedAt: Date | undefined;
  /** Where the bundle in force came from. */
  origin: 'source' | 'last-good' | undefined;
  lastError: string | undefined;
  /** The refusal's code (BundleError), for words in the console's language. */
  lastErrorCode: string | undefined;
}

export interface ListLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface ListManagerOptions {
  sources: readonly ListSource[];
  trustedKeys: Uint8Array[];
  dataDir: string;
  /** Category sets that policies block (undefined = all); a matcher is built for each. */
  categorySets: readonly (ReadonlySet<string> | undefined)[];
  logger: ListLogger;
  fetchTimeoutMs?: number;
  /** While a required source has no copy it is tried again this often (default 10 s). */
  retryMissingMs?: number;
}

const WATCH_DEBOUNCE_MS = 250;
/** start() waits this long for sources with no copy, then answers "not ready" until they load. */
const START_WAIT_MS = 5000;
const DAY_MS = 86_400_000;

export class ListManager {
  readonly sources: SourceState[];
  /** Bumped on every swap; exported as a metric. */
  generation = 0;
  /** False while a required source has no usable copy (kept up to date by every swap). */
  ready = false;
  private matchers = new Map<string, Matcher>();
  private readonly store: LastGoodStore;
  private readonly watchers: FSWatcher[] = [];
  private refreshing: Promise<void> | undefined;
  private again = false;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: ListManagerOptions) {
    this.sources = options.sources.map((s) => ({
      location: s.location,
      expectedId: s.id,
      expectedCategory: s.category,
      required: s.required ?? true,
      bundle: undefined,
      loadedAt: undefined,
      origin: undefined,
      lastError: undefined,
      lastErrorCode: undefined,
    }));
    this.store = new LastGoodStore(options.dataDir);
    this.swap();
  }

  /** The matcher for a policy's categories (undefined: every category). */
  matcherFor(categories: ReadonlySet<string> | undefined): Matcher {
    const matcher = this.matchers.get(keyOf(categories));
    if (matcher) return matcher;
    // A set no policy had at start (a schedule, a policy added by a reload): built once, kept.
    this.extraSets.set(keyOf(categories), categories);
    this.swap(false);
    return this.matchers.get(keyOf(categories)) as Matcher;
  }

  private readonly extraSets = new Map<string, ReadonlySet<string> | undefined>();

  /**
   * Loads every source once. A subscription with a last good copy starts from it and is fetched
   * in the background; one without is fetched now (waiting up to 5 s); until it loads the filter
   * is not ready (missing()), so the server never answers unfiltered in the meantime.
   */
  async start(): Promise<void> {
    // Only a subscription that started from its copy needs a fetch now; one fetched is current.
    let startedFromCopy = false;
    const loads = Promise.all(
      this.sources.map(async (s) => {
        if (isUrl(s.location) && (await this.useLastGood(s, 'starting from the last good copy'))) {
          startedFromCopy = true;
          return;
        }
        await this.loadSource(s);
      }),
    );
    // A list server that does not answer must not hold the DNS port closed: after a while the
    // server starts "not ready" and the loads finish in the background.
    let waiting: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      loads.then(() => false),
      new Promise<boolean>((r) => {
        waiting = setTimeout(() => r(true), START_WAIT_MS);
      }),
    ]);
    clearTimeout(waiting);
    this.swap();
    const afterStart = timedOut ? loads.then(() => this.swap()) : Promise.resolve();
    void afterStart.then(() => {
      if (startedFromCopy) void this.refresh('start');
    });
    this.checkHealth('start');
  }

  /** Required sources with no usable copy: while any is missing the filter is not ready. */
  missing(): SourceState[] {
    return this.sources.filter((s) => s.required && !s.bundle);
  }

  /** Sources whose bundle in force has expired (still in force: better than unfiltered). */
  expired(now = Date.now()): SourceState[] {
    return this.sources.filter((s) => s.bundle && expiresAt(s.bundle) <= now);
  }

  /** Logs what is wrong, and keeps trying sources that are missing until they load. */
  private checkHealth(when: string): void {
    const { logger } = this.options;
    for (const s of this.expired())
      logger.warn(
        { when, list: s.bundle?.meta.id, expires: s.bundle?.meta.expires, from: s.location },
        'list expired and is still in force: no newer copy',
      );
    const missing = this.missing();
    for (const s of missing)
      logger.error(
        { when, list: s.expectedId ?? s.location, error: s.lastError ?? 'not loaded yet' },
        'list has no usable copy: the filter is not ready',
      );
    if (missing.length > 0 && !this.retryTimer) {
      this.retryTimer = setInterval(
        () => void this.refresh('retrying a missing list'),
        this.options.retryMissingMs ?? 10_000,
      );
      this.retryTimer.unref();
    } else if (missing.length === 0 && this.retryTimer) {
      clearInterval(this.retryTimer);
      this.retryTimer = undefined;
      this.options.logger.info({ when }, 'every required list is loaded: filter ready');
    }
  }

  /** Loads every source again; concurrent calls coalesce into one more pass. */
  refresh(reason: string): Promise<void> {
    if (this.refreshing) {
      this.again = true;
      return this.refreshing;
    }
    this.refreshing = (async () => {
      do {
        this.again = false;
        const changed = await Promise.all(this.sources.map((s) => this.loadSource(s)));
        if (changed.some(Boolean)) {
          this.swap();
          this.options.logger.info(
            { reason, generation: this.generation, lists: this.summary() },
            'lists swapped',
          );
        }
      } while (this.again);
      this.checkHealth(reason);
    })().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  /** Refreshes when a list file is replaced or rewritten. */
  watchFiles(): void {
    const byDir = new Map<string, Set<string>>();
    for (const s of this.sources) {
      if (isUrl(s.location)) continue;
      const names = byDir.get(dirname(s.location)) ?? new Set();
      names.add(basename(s.location));
      byDir.set(dirname(s.location), names);
    }
    for (const [dir, names] of byDir) {
      let timer: NodeJS.Timeout | undefined;
      try {
        const watcher = watch(dir, (_event, file) => {
          if (file && !names.has(file.toString())) return;
          clearTimeout(timer);
          timer = setTimeout(() => void this.refresh('file changed'), WATCH_DEBOUNCE_MS);
        });
        watcher.on('error', () => {});
        this.watchers.push(watcher);
      } catch (error) {
        this.options.logger.warn({ dir, error: (error as Error).message }, 'cannot watch list dir');
      }
    }
  }

  close(): void {
    for (const w of this.watchers) w.close();
    clearInterval(this.retryTimer);
  }

  summary(now = Date.now()) {
    return this.sources.map((s) => {
      const expires = s.bundle ? expiresAt(s.bundle) : undefined;
      return {
        location: s.location,
        id: s.bundle?.meta.id ?? s.expectedId,
        category: s.bundle?.meta.category ?? s.expectedCategory,
        sequence: s.bundle?.meta.sequence,
        entries: s.bundle ? (s.bundle.blockHashes.length + s.bundle.allowHashes.length) / 2 : 0,
        origin: s.origin,
        error: s.lastError,
        errorCode: s.lastErrorCode,
        expires: s.bundle?.meta.expires,
        /** Whole days left (negative once expired). */
        expiresInDays: expires === undefined ? undefined : Math.floor((expires - now) / DAY_MS),
        state: !s.bundle
          ? s.required
            ? ('missing' as const)
            : ('not loaded' as const)
          : expires !== undefined && expires <= now
            ? ('expired' as const)
            : ('ok' as const),
      };
    });
  }

  /** True when the source's bundle in force changed. */
  private async loadSource(s: SourceState): Promise<boolean> {
    let bytes: Uint8Array;
    let meta = {};
    try {
      if (isUrl(s.location)) {
        const previous = await this.store.readMeta(s.location);
        const fetched = await fetchBundle(
          s.location,
          s.bundle ? previous : {},
          this.options.fetchTimeoutMs ?? 30_000,
        );
        if (!fetched.changed) return false;
        bytes = fetched.bytes;
        meta = fetched.meta;
      } else bytes = await readBytes(s.location);
    } catch (error) {
      s.lastError = (error as Error).message;
      s.lastErrorCode = undefined;
      this.options.logger.warn({ list: s.location, reason: s.lastError }, 'list source unreadable');
      return s.bundle ? false : this.useLastGood(s, s.lastError);
    }
    try {
      const bundle = await loadBundle(bytes, {
        trustedKeys: this.options.trustedKeys,
        verify: nativeEd25519Verify,
        digest: nativeSha256Bytes,
        // The bytes were read for this load alone: the matcher searches them in place.
        adoptBytes: true,
        // A source is one list: once it holds one, another id is refused, so sequences are
        // only ever compared within one list.
        ...pinOf(s),
        currentSequence: s.bundle?.meta.sequence,
      });
      if (s.bundle && sameBundle(s.bundle, bundle)) return false;
      s.bundle = bundle;
      s.origin = 'source';
      s.loadedAt = new Date();
      s.lastError = undefined;
      s.lastErrorCode = undefined;
      const { id, category, sequence } = bundle.meta;
      const kept = this.store
        .write(s.location, bytes, { ...meta, id, category, sequence })
        .catch((error: Error) =>
          this.options.logger.warn({ error: error.message }, 'cannot keep last good list copy'),
        );
      // A list file's copy is kept in the background, off the way to the first answer (the
      // store writes atomically, one copy after another); a subscription's next conditional
      // GET needs its ETag on disk first.
      if (isUrl(s.location)) await kept;
      return true;
    } catch (error) {
      s.lastError = (error as Error).message;
      const code = (error as { code?: string }).code;
      s.lastErrorCode = code;
      this.options.logger.error(
        { list: s.location, reason: s.lastError, code },
        code === 'wrong-list'
          ? 'list refused: the source sent another list than the one subscribed; the lists in force are unchanged'
          : 'list refused; the lists in force are unchanged',
      );
      return s.bundle ? false : this.useLastGood(s, s.lastError);
    }
  }

  private async useLastGood(s: SourceState, why: string): Promise<boolean> {
    const bytes = await this.store.read(s.location);
    if (!bytes) return false;
    try {
      s.bundle = await loadBundle(bytes, {
        trustedKeys: this.options.trustedKeys,
        verify: nativeEd25519Verify,
        digest: nativeSha256Bytes,
        adoptBytes: true,
        ...pinOf(s),
        // An expired copy still filters; checkHealth warns about it.
        acceptExpired: true,
      });
      s.origin = 'last-good';
      s.loadedAt = new Date();
      this.options.logger.info({ list: s.location, why }, 'using the last good copy');
      return true;
    } catch (error) {
      this.options.logger.warn(
        { list: s.location, reason: (error as Error).message },
        'last good copy no longer valid',
      );
      return false;
    }
  }

  private swap(newLists = true): void {
    const bundles = this.sources.flatMap((s) => (s.bundle ? [s.bundle] : []));
    const next = new Map<string, Matcher>();
    for (const categories of [
      undefined,
      ...this.options.categorySets,
      ...this.extraSets.values(),
    ]) {
      const key = keyOf(categories);
      if (next.has(key)) continue;
      const chosen = categories ? bundles.filter((b) => categories.has(b.meta.category)) : bundles;
      next.set(
        key,
        new Matcher(chosen, {
          sha256: nativeSha256,
          // No verdict cache of its own: the resolver keeps names seen in one place, the fast
          // path's name table (`memory.namesSeen`); TCP queries and CNAME targets match afresh.
          cacheSize: 0,
        }),
      );
    }
    this.matchers = next; // the swap: one assignment
    if (!newLists) return;
    this.generation++;
    this.ready = this.missing().length === 0;
  }
}

function pinOf(s: SourceState): { expectedId?: string; expectedCategory?: string } {
  const id = s.expectedId ?? s.bundle?.meta.id;
  return {
    ...(id !== undefined && { expectedId: id }),
    ...(s.expectedCategory !== undefined && { expectedCategory: s.expectedCategory }),
  };
}

function expiresAt(bundle: LoadedBundle): number {
  return Date.parse(bundle.meta.expires);
}

function keyOf(categories: ReadonlySet<string> | undefined): string {
  return categories ? [...categories].sort().join('\0') : '*';
}

function isUrl(location: string): boolean {
  return /^https?:\/\//i.test(location);
}

function sameBundle(a: LoadedBundle, b: LoadedBundle): boolean {
  return (
    a.meta.id === b.meta.id &&
    a.meta.sequence === b.meta.sequence &&
    a.byteLength === b.byteLength &&
    a.meta.created === b.meta.created
  );
}
