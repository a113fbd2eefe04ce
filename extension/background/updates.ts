/**
 * Subscription updates: a conditional GET (ETag / Last-Modified), verification against the
 * subscription's pinned publisher key and the sequence already in force, then an atomic swap in
 * the list store. A refused update changes nothing but the status line: the last good list stays.
 */
import { loadBundle } from '../../blocklists/bundle/load.js';
import { browser } from './api.js';
import type { StoredList } from './list-store.js';
import type { Subscription } from './settings.js';
import { keysFor } from './trusted-keys.js';

export const UPDATE_ALARM = 'kalkan-update';
export const UPDATE_PERIOD_MINUTES = 6 * 60;
const STATUS_KEY = 'updateStatus';

export type UpdateOutcome =
  | { kind: 'unchanged' }
  | { kind: 'updated'; list: StoredList }
  | { kind: 'refused'; error: string };

export interface UpdateStatus {
  checkedAt: string;
  error?: string;
}

export async function checkSubscription(
  subscription: Subscription,
  previous: StoredList | undefined,
  fetchFn: typeof fetch = fetch,
  now = new Date(),
): Promise<UpdateOutcome> {
  const headers: Record<string, string> = {};
  if (previous?.etag) headers['If-None-Match'] = previous.etag;
  if (previous?.lastModified) headers['If-Modified-Since'] = previous.lastModified;
  let response: Response;
  try {
    response = await fetchFn(subscription.url, { headers, cache: 'no-store', credentials: 'omit' });
  } catch (error) {
    return { kind: 'refused', error: `download failed: ${(error as Error).message}` };
  }
  if (response.status === 304 && previous) return { kind: 'unchanged' };
  if (!response.ok) return { kind: 'refused', error: `download failed: HTTP ${response.status}` };
  const bytes = new Uint8Array(await response.arrayBuffer());
  try {
    const bundle = await loadBundle(bytes, {
      trustedKeys: keysFor(subscription.publicKey),
      now,
      ...(previous ? { currentSequence: previous.sequence } : {}),
    });
    if (previous && bundle.meta.sequence === previous.sequence) return { kind: 'unchanged' };
    const etag = response.headers.get('ETag');
    const lastModified = response.headers.get('Last-Modified');
    return {
      kind: 'updated',
      list: {
        url: subscription.url,
        bytes,
        listId: bundle.meta.id,
        name: bundle.meta.name,
        category: bundle.meta.category,
        sequence: bundle.meta.sequence,
        ...(etag ? { etag } : {}),
        ...(lastModified ? { lastModified } : {}),
        updatedAt: now.toISOString(),
      },
    };
  } catch (error) {
    return { kind: 'refused', error: (error as Error).message };
  }
}

export async function readUpdateStatus(): Promise<Record<string, UpdateStatus>> {
  return ((await browser.storage.local.get(STATUS_KEY))[STATUS_KEY] ?? {}) as Record<
    string,
    UpdateStatus
  >;
}

export async function writeUpdateStatus(status: Record<string, UpdateStatus>): Promise<void> {
  await browser.storage.local.set({ [STATUS_KEY]: status });
}

export function scheduleUpdates(): Promise<void> {
  return browser.alarms.create(UPDATE_ALARM, {
    delayInMinutes: 1,
    periodInMinutes: UPDATE_PERIOD_MINUTES,
  }) as Promise<void>;
}
