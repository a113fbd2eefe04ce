/**
 * Subscribed list bundles as verified bytes in IndexedDB (a million-entry bundle is ~9 MB,
 * beyond `storage.local`'s default quota, and IndexedDB keeps bytes without base64). One record
 * per subscription URL; a put is one transaction, so a swap is atomic: readers see the old
 * bundle or the new one, never half of either.
 */
export interface StoredList {
  /** The subscription URL. */
  url: string;
  bytes: Uint8Array;
  listId: string;
  name: string;
  category: string;
  sequence: number;
  etag?: string;
  lastModified?: string;
  /** When the bundle in force was fetched and verified (ISO). */
  updatedAt: string;
}

const DB = 'kalkan';
const STORE = 'lists';
/** The verified matcher input (typed arrays, no signature check needed) under one key. */
const VERIFIED = 'verified';
const VERIFIED_KEY = 'current';

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB, 2);
    request.onupgradeneeded = () => {
      const db = request.result;
      if (!db.objectStoreNames.contains(STORE)) db.createObjectStore(STORE, { keyPath: 'url' });
      if (!db.objectStoreNames.contains(VERIFIED)) db.createObjectStore(VERIFIED);
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function run<T>(
  mode: IDBTransactionMode,
  action: (store: IDBObjectStore) => IDBRequest<T>,
  storeName = STORE,
): Promise<T> {
  const db = await open();
  try {
    return await new Promise<T>((resolve, reject) => {
      const tx = db.transaction(storeName, mode);
      const request = action(tx.objectStore(storeName));
      tx.oncomplete = () => resolve(request.result);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}

export function readLists(): Promise<StoredList[]> {
  return run('readonly', (s) => s.getAll() as IDBRequest<StoredList[]>);
}

export async function putList(list: StoredList): Promise<void> {
  await run('readwrite', (s) => s.put(list));
}

export async function deleteList(url: string): Promise<void> {
  await run('readwrite', (s) => s.delete(url));
}

/**
 * The matcher's input as it was last built and verified, so a woken worker can answer its first
 * navigation after one IndexedDB read instead of fetching and verifying every bundle again.
 */
export function readVerified<T>(): Promise<T | undefined> {
  return run('readonly', (s) => s.get(VERIFIED_KEY) as IDBRequest<T | undefined>, VERIFIED);
}

export async function writeVerified<T>(value: T): Promise<void> {
  await run('readwrite', (s) => s.put(value, VERIFIED_KEY), VERIFIED);
}
