/**
 * Node's native Ed25519 verification for list signatures: the pure-JS verifier costs ~100 ms of
 * CPU on its first call (tables built, code compiled), which a loaded machine adds to start-up.
 */
import { createPublicKey, verify } from 'node:crypto';

/** DER prefix of an Ed25519 SubjectPublicKeyInfo; the 32-byte raw key follows. */
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export function nativeEd25519Verify(
  signature: Uint8Array,
  message: Uint8Array,
  publicKey: Uint8Array,
): boolean {
  try {
    const key = createPublicKey({
      key: Buffer.concat([SPKI_PREFIX, publicKey]),
      format: 'der',
      type: 'spki',
    });
    return verify(null, message, key, signature);
  } catch {
    return false; // a malformed key or signature is simply not valid
  }
}
