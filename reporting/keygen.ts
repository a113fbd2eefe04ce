/** A new unit key pair (keys.ts encodes and decodes it), made by the reports' HPKE suite. */
import type { UnitKeyPair } from './keys.js';
import { suite } from './suite.js';

export async function generateUnitKeyPair(): Promise<UnitKeyPair> {
  const pair = await suite.kem.generateKeyPair();
  return {
    publicKey: new Uint8Array(await suite.kem.serializePublicKey(pair.publicKey)),
    secretKey: new Uint8Array(await suite.kem.serializePrivateKey(pair.privateKey)),
  };
}
