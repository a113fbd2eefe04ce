/**
 * The matcher over every hashed list in force: the packaged ones and the verified subscriptions
 * from the list store. A reload builds a new matcher and swaps it in only when complete, so a
 * check always sees a whole set of lists. Plaintext lists are DNR rules, not matcher input.
 *
 * A woken worker must answer its first navigation within a round trip, so the verified matcher
 * input is kept in IndexedDB and a wake reads it back (one read of typed arrays) instead of
 * fetching and verifying the bundles again; a full reload (install, start-up, settings change,
 * update) rebuilds and rewrites it.
 */
import { type LoadedBundle, loadBundle } from '../../blocklists/bundle/load.js';
import { Matcher } from '../../blocklists/matcher.js';
import { browser } from './api.js';
import { readLists, readVerified, writeVerified } from './list-store.js';
import { keysFor, pinnedKeys } from './trusted-keys.js';

export interface ListInfo {
  id: string;
  name: string;
  category: string;
  sequence: number;
  source: 'packaged' | 'subscription';
  url?: string;
  updatedAt?: string;
}

export function hashedOnly(bundles: LoadedBundle[], adultOn: boolean): LoadedBundle[] {
  return bundles.filter((b) => !b.plaintext && (adultOn || b.meta.category !== 'adult'));
}

async function packagedBundles(): Promise<LoadedBundle[]> {
  const index = (await (
    await fetch(browser.runtime.getURL('lists/index.json'))
  ).json()) as string[];
  const keys = pinnedKeys();
  const loaded = await Promise.allSettled(
    index.map(async (path) => {
      const bytes = new Uint8Array(await (await fetch(browser.runtime.getURL(path))).arrayBuffer());
      return loadBundle(bytes, { trustedKeys: keys });
    }),
  );
  // A packaged list past its expiry stops counting; it must not take the subscriptions with it.
  return loaded.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
}

interface Loaded {
  matcher: Matcher;
  lists: ListInfo[];
}

/** What is cached: the bundles the matcher uses, for this extension version. */
interface VerifiedInput {
  version: string;
  bundles: LoadedBundle[];
  lists: ListInfo[];
}

let current: Promise<Loaded> | undefined;
/** The matcher once loaded, for a listener that must answer synchronously (Chrome's blocking webRequest). */
let loaded: Loaded | undefined;

function track(next: Promise<Loaded>): Promise<Loaded> {
  return next.then((l) => {
    loaded = l;
    return l;
  });
}

/** What the matcher needs of the settings. */
export interface HashedListSettings {
  categories: { adult: boolean };
  subscriptions: { url: string; publicKey: string }[];
}

async function build(settings: Promise<HashedListSettings>) {
  const [packaged, stored, { categories, subscriptions }] = await Promise.all([
    packagedBundles(),
    readLists(),
    settings,
  ]);
  const subscriptionKeys = new Map(subscriptions.map((s) => [s.url, s.publicKey]));
  const lists: ListInfo[] = packaged.map((b) => ({
    id: b.meta.id,
    name: b.meta.name,
    category: b.meta.category,
    sequence: b.meta.sequence,
    source: 'packaged',
  }));
  const subscribed: LoadedBundle[] = [];
  for (const s of stored) {
    const key = subscriptionKeys.get(s.url);
    if (!key) continue; // unsubscribed since
    lists.push({
      id: s.listId,
      name: s.name,
      category: s.category,
      sequence: s.sequence,
      source: 'subscription',
      url: s.url,
      updatedAt: s.updatedAt,
    });
    try {
      subscribed.push(await loadBundle(s.bytes, { trustedKeys: keysFor(key) }));
    } catch {
      // Stored bytes were verified when stored; an expired one simply stops counting.
    }
  }
  const bundles = hashedOnly([...packaged, ...subscribed], categories.adult).map((b) => ({
    ...b,
    plaintext: undefined,
  }));
  // A failed cache write only costs the next wake a full load.
  await writeVerified<VerifiedInput>({ version: extensionVersion(), bundles, lists }).catch(
    () => undefined,
  );
  return { matcher: new Matcher(bundles), lists };
}

function extensionVersion(): string {
  return browser.runtime.getManifest().version;
}

async function fromCache(): Promise<Loaded | undefined> {
  const cached = await readVerified<VerifiedInput>().catch(() => undefined);
  if (cached?.version !== extensionVersion()) return undefined;
  return { matcher: new Matcher(cached.bundles), lists: cached.lists };
}

/** On wake: the cached matcher, or a full build when there is none (first run, new version). */
export function startHashedLists(settings: () => Promise<HashedListSettings>): Promise<void> {
  current ??= track(fromCache().then((cached) => cached ?? build(settings())));
  return current.then(() => undefined);
}

/** Starts (or restarts) loading; the previous matcher answers until the new one is ready. */
export function reloadHashedLists(settings: Promise<HashedListSettings>): Promise<void> {
  const previous = current;
  const next = track(build(settings));
  current = previous ? next.catch(() => previous) : next;
  return next.then(() => undefined);
}

/** The matcher in force now, or undefined while none has loaded yet. */
export function hashedListsNow(): Loaded | undefined {
  return loaded;
}

export function hashedLists(): Promise<Loaded> {
  if (!current) throw new Error('hashed lists not loaded yet');
  return current;
}
