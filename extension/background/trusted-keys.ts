/** Publisher keys: those pinned into the package at build time, and a subscription's own. */
import { decodePublicKey } from '../../blocklists/keys.js';

export function pinnedKeys(): Uint8Array[] {
  return __KALKAN_PINNED_KEYS__.map((k, i) => decodePublicKey(k, `pinned key ${i + 1}`));
}

export function keysFor(subscriptionKey: string): Uint8Array[] {
  return [decodePublicKey(subscriptionKey, 'subscription key')];
}
