/** Fetching a list bundle by URL with a conditional GET (ETag / Last-Modified). */
import type { StoredMeta } from './store.js';

const MAX_BUNDLE_BYTES = 512 * 1024 * 1024;

export type FetchResult =
  | { changed: false }
  | { changed: true; bytes: Uint8Array; meta: StoredMeta };

export async function fetchBundle(
  url: string,
  previous: StoredMeta,
  timeoutMs: number,
): Promise<FetchResult> {
  const headers: Record<string, string> = {};
  if (previous.etag) headers['if-none-match'] = previous.etag;
  if (previous.lastModified) headers['if-modified-since'] = previous.lastModified;
  const response = await fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) });
  if (response.status === 304) return { changed: false };
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  const length = Number(response.headers.get('content-length') ?? 0);
  if (length > MAX_BUNDLE_BYTES) throw new Error(`${url}: ${length} bytes is too large`);
  const bytes = new Uint8Array(await response.arrayBuffer());
  const meta: StoredMeta = {};
  const etag = response.headers.get('etag');
  const lastModified = response.headers.get('last-modified');
  if (etag) meta.etag = etag;
  if (lastModified) meta.lastModified = lastModified;
  return { changed: true, bytes, meta };
}
