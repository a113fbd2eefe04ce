/**
 * The unit's X25519 key pair that reports are sealed to. Key files are one line of text, like the
 * publisher keys: `kalkan-x25519-public <base64url>` (given to every reporting device) and
 * `kalkan-x25519-secret <base64url>` (kept by the unit, next to its intake). Generating a pair
 * needs the HPKE suite and lives in keygen.ts, so code that only reads keys stays light.
 */
import { fromBase64Url, toBase64Url } from './encoding.js';

const PUBLIC_LABEL = 'kalkan-x25519-public';
const SECRET_LABEL = 'kalkan-x25519-secret';
const KEY_BYTES = 32;

export interface UnitKeyPair {
  publicKey: Uint8Array;
  secretKey: Uint8Array;
}

export const encodeUnitPublicKey = (key: Uint8Array): string =>
  `${PUBLIC_LABEL} ${toBase64Url(key)}\n`;
export const encodeUnitSecretKey = (key: Uint8Array): string =>
  `${SECRET_LABEL} ${toBase64Url(key)}\n`;

/** `where` names the file or setting in the error. */
export const decodeUnitPublicKey = (text: string, where: string): Uint8Array =>
  decode(text, PUBLIC_LABEL, where);
export const decodeUnitSecretKey = (text: string, where: string): Uint8Array =>
  decode(text, SECRET_LABEL, where);

function decode(text: string, label: string, where: string): Uint8Array {
  const [found, value, ...rest] = text.trim().split(/\s+/);
  if (found !== label || value === undefined || rest.length > 0) {
    throw new Error(`${where}: expected one line "${label} <base64>"`);
  }
  const bytes = fromBase64Url(value);
  if (bytes?.length !== KEY_BYTES) throw new Error(`${where}: the key must be 32 bytes of base64`);
  return bytes;
}
