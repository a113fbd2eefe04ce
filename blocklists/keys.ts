/**
 * Publisher keys (Ed25519). Key files are one line of text so they can be pasted into configs:
 * `kalkan-ed25519-public <base64>` and `kalkan-ed25519-secret <base64>`.
 */
import * as ed from '@noble/ed25519';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';

export interface KeyPair {
  secretKey: Uint8Array;
  publicKey: Uint8Array;
}

const PUBLIC_LABEL = 'kalkan-ed25519-public';
const SECRET_LABEL = 'kalkan-ed25519-secret';

export async function generateKeyPair(): Promise<KeyPair> {
  return ed.keygenAsync();
}

export async function publicKeyOf(secretKey: Uint8Array): Promise<Uint8Array> {
  return ed.getPublicKeyAsync(secretKey);
}

/** First 8 bytes of SHA-256 of the public key, in hex: what a bundle names its signer by. */
export function keyId(publicKey: Uint8Array): string {
  return bytesToHex(sha256(publicKey).subarray(0, 8));
}

export function encodePublicKey(publicKey: Uint8Array): string {
  return `${PUBLIC_LABEL} ${toBase64(publicKey)}\n`;
}

export function encodeSecretKey(secretKey: Uint8Array): string {
  return `${SECRET_LABEL} ${toBase64(secretKey)}\n`;
}

export function decodePublicKey(text: string, where: string): Uint8Array {
  return decodeKey(text, PUBLIC_LABEL, where);
}

export function decodeSecretKey(text: string, where: string): Uint8Array {
  return decodeKey(text, SECRET_LABEL, where);
}

function decodeKey(text: string, label: string, where: string): Uint8Array {
  const [found, value, ...rest] = text.trim().split(/\s+/);
  if (found !== label || value === undefined || rest.length > 0) {
    throw new Error(`${where}: expected one line "${label} <base64>"`);
  }
  const bytes = fromBase64(value);
  if (bytes?.length !== 32) throw new Error(`${where}: the key must be 32 bytes of base64`);
  return bytes;
}

function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function fromBase64(text: string): Uint8Array | undefined {
  try {
    return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
}
