/** Small signed bundles for unit tests. */
import { buildBundle, type Expressions, expressionsOf } from '../../blocklists/bundle/build.js';
import type { BundleMeta } from '../../blocklists/bundle/layout.js';
import { type LoadedBundle, loadBundle } from '../../blocklists/bundle/load.js';
import { generateKeyPair, type KeyPair } from '../../blocklists/keys.js';
import { parseSource } from '../../blocklists/sources/parse.js';

export const FIXED_CREATED = '2026-01-01T00:00:00.000Z';
export const FIXED_EXPIRES = '2036-01-01T00:00:00.000Z';

let sharedKey: Promise<KeyPair> | undefined;
export function testKey(): Promise<KeyPair> {
  sharedKey ??= generateKeyPair();
  return sharedKey;
}

export function meta(
  overrides: Partial<Omit<BundleMeta, 'publisher'>> = {},
): Omit<BundleMeta, 'publisher'> {
  return {
    id: 'test-list',
    name: 'Test list',
    category: 'abuse',
    sequence: 1,
    created: FIXED_CREATED,
    expires: FIXED_EXPIRES,
    licence: 'test',
    ...overrides,
  };
}

export async function bundleBytes(
  expressions: Expressions,
  options: {
    meta?: Partial<Omit<BundleMeta, 'publisher'>>;
    plaintext?: boolean;
    key?: KeyPair;
  } = {},
): Promise<Uint8Array> {
  const key = options.key ?? (await testKey());
  return buildBundle(expressions, {
    meta: meta(options.meta),
    secretKey: key.secretKey,
    plaintext: options.plaintext ?? false,
  });
}

export async function loadedFromSource(
  source: string,
  fileName: string,
  options: { meta?: Partial<Omit<BundleMeta, 'publisher'>>; plaintext?: boolean } = {},
): Promise<LoadedBundle> {
  const expressions = expressionsOf(parseSource(source, fileName).entries);
  const key = await testKey();
  return loadBundle(await bundleBytes(expressions, { ...options, key }), {
    trustedKeys: [key.publicKey],
  });
}
