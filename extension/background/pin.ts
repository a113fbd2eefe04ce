/**
 * The parent PIN, stored only as a salted slow hash: PBKDF2-HMAC-SHA-256 through Web Crypto,
 * 600,000 iterations (OWASP 2023). Verification compares in constant time.
 */
export interface PinRecord {
  salt: string;
  iterations: number;
  hash: string;
}

export const PIN_ITERATIONS = 600_000;
const MIN_PIN_LENGTH = 4;
const MAX_PIN_LENGTH = 64;

export function pinProblem(pin: string): 'too-short' | 'too-long' | undefined {
  if (pin.length < MIN_PIN_LENGTH) return 'too-short';
  if (pin.length > MAX_PIN_LENGTH) return 'too-long';
  return undefined;
}

function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function fromBase64(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

async function derive(pin: string, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(pin), 'PBKDF2', false, [
    'deriveBits',
  ]);
  const bits = await crypto.subtle.deriveBits(
    { name: 'PBKDF2', hash: 'SHA-256', salt: salt as Uint8Array<ArrayBuffer>, iterations },
    key,
    256,
  );
  return new Uint8Array(bits);
}

export async function hashPin(pin: string, iterations = PIN_ITERATIONS): Promise<PinRecord> {
  const problem = pinProblem(pin);
  if (problem) throw new Error(`PIN is ${problem}`);
  const salt = crypto.getRandomValues(new Uint8Array(16));
  return { salt: toBase64(salt), iterations, hash: toBase64(await derive(pin, salt, iterations)) };
}

export async function verifyPin(pin: string, record: PinRecord): Promise<boolean> {
  const expected = fromBase64(record.hash);
  const actual = await derive(pin, fromBase64(record.salt), record.iterations);
  let diff = expected.length ^ actual.length;
  for (let i = 0; i < expected.length; i++) diff |= (expected[i] ?? 0) ^ (actual[i] ?? 0);
  return diff === 0;
}

/** A PIN set by policy: `pbkdf2-sha256$<iterations>$<salt base64>$<hash base64>`. */
export function parsePinHash(text: string): PinRecord | undefined {
  const [scheme, iterations, salt, hash, ...rest] = text.trim().split('$');
  const count = Number(iterations);
  if (scheme !== 'pbkdf2-sha256' || rest.length || !salt || !hash) return undefined;
  if (!Number.isInteger(count) || count < 100_000 || count > 10_000_000) return undefined;
  return { salt, iterations: count, hash };
}

/** The policy form of a PIN record (what an administrator puts in `pinHash`). */
export function pinHashText(record: PinRecord): string {
  return `pbkdf2-sha256$${record.iterations}$${record.salt}$${record.hash}`;
}
