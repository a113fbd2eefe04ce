/** Subscription updates: conditional GET, verification, refusal keeps the old list. */
import { describe, expect, it, vi } from 'vitest';
import { encodePublicKey, generateKeyPair } from '../../blocklists/keys.js';
import type { StoredList } from '../../extension/background/list-store.js';
import { checkSubscription } from '../../extension/background/updates.js';
import { bundleBytes, testKey } from '../helpers/bundles.js';

// updates.ts reaches chrome.storage only in functions this test does not call.
vi.mock('../../extension/background/api.js', () => ({ browser: {} }));

const URL_ = 'https://lists.example/abuse.klb';
const expressions = { block: ['listed.example/'], allow: [] };

function respond(body: Uint8Array | null, status = 200, headers: Record<string, string> = {}) {
  const seen: Headers[] = [];
  const fetchFn = (async (_url: string, init?: RequestInit) => {
    seen.push(new Headers(init?.headers));
    return new Response(body as BodyInit | null, { status, headers });
  }) as typeof fetch;
  return { fetchFn, seen };
}

async function subscription() {
  return { url: URL_, publicKey: encodePublicKey((await testKey()).publicKey).trim() };
}

async function previous(sequence: number): Promise<StoredList> {
  return {
    url: URL_,
    bytes: await bundleBytes(expressions, { meta: { sequence } }),
    listId: 'test-list',
    name: 'Test list',
    category: 'abuse',
    sequence,
    etag: '"old"',
    updatedAt: '2026-01-01T00:00:00.000Z',
  };
}

describe('checkSubscription', () => {
  it('takes a newer signed list, with its ETag, after a conditional GET', async () => {
    const { fetchFn, seen } = respond(
      await bundleBytes(expressions, { meta: { sequence: 5 } }),
      200,
      {
        ETag: '"new"',
      },
    );
    const outcome = await checkSubscription(await subscription(), await previous(4), fetchFn);
    expect(seen[0]?.get('If-None-Match')).toBe('"old"');
    expect(outcome).toMatchObject({ kind: 'updated', list: { sequence: 5, etag: '"new"' } });
  });

  it('treats 304 Not Modified as unchanged', async () => {
    const { fetchFn } = respond(null, 304);
    expect(await checkSubscription(await subscription(), await previous(4), fetchFn)).toEqual({
      kind: 'unchanged',
    });
  });

  it('refuses a tampered list', async () => {
    const bytes = await bundleBytes(expressions, { meta: { sequence: 5 } });
    bytes[60] = (bytes[60] as number) ^ 1;
    const outcome = await checkSubscription(
      await subscription(),
      await previous(4),
      respond(bytes).fetchFn,
    );
    expect(outcome.kind).toBe('refused');
  });

  it('refuses a list signed by another key', async () => {
    const other = await generateKeyPair();
    const bytes = await bundleBytes(expressions, { meta: { sequence: 5 }, key: other });
    const outcome = await checkSubscription(
      await subscription(),
      await previous(4),
      respond(bytes).fetchFn,
    );
    expect(outcome).toMatchObject({
      kind: 'refused',
      error: expect.stringMatching(/not a trusted/),
    });
  });

  it('refuses a rollback to an older sequence', async () => {
    const bytes = await bundleBytes(expressions, { meta: { sequence: 3 } });
    const outcome = await checkSubscription(
      await subscription(),
      await previous(4),
      respond(bytes).fetchFn,
    );
    expect(outcome).toMatchObject({ kind: 'refused', error: expect.stringMatching(/older/) });
  });

  it('refuses HTTP errors and network failures', async () => {
    expect(
      (await checkSubscription(await subscription(), undefined, respond(null, 500).fetchFn)).kind,
    ).toBe('refused');
    const failing = (async () => {
      throw new TypeError('offline');
    }) as typeof fetch;
    expect(await checkSubscription(await subscription(), undefined, failing)).toMatchObject({
      kind: 'refused',
      error: expect.stringMatching(/offline/),
    });
  });
});
