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

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: 'url' });
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function run<T>(
  mode: IDBTransactionMode,
  action: (store: IDBObjectStore) => IDBRequest<T>,
): Promise<T> {
  const db = await open();
  try {
    return await new Promise<T>((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const request = action(tx.objectStore(STORE));
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
