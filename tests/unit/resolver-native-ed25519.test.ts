import * as ed from '@noble/ed25519';
import { describe, expect, it } from 'vitest';
import { generateKeyPair } from '../../blocklists/keys.js';
import { nativeEd25519Verify } from '../../resolver/lists/native-ed25519.js';

describe('native Ed25519 verification', () => {
  it('agrees with the pure-JS verifier on good and bad signatures', async () => {
    const { secretKey, publicKey } = await generateKeyPair();
    const other = await generateKeyPair();
    const message = new TextEncoder().encode('kalkan list signature test');
    const signature = await ed.signAsync(message, secretKey);
    expect(nativeEd25519Verify(signature, message, publicKey)).toBe(true);
    const tampered = Uint8Array.from(message);
    tampered[0] = (tampered[0] as number) ^ 1;
    expect(nativeEd25519Verify(signature, tampered, publicKey)).toBe(false);
    expect(await ed.verifyAsync(signature, tampered, publicKey)).toBe(false);
    expect(nativeEd25519Verify(signature, message, other.publicKey)).toBe(false);
    expect(nativeEd25519Verify(signature.subarray(1), message, publicKey)).toBe(false);
    expect(nativeEd25519Verify(signature, message, publicKey.subarray(1))).toBe(false);
  });
});
