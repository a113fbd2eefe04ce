import { describe, expect, it } from 'vitest';
import {
  hashPin,
  PIN_ITERATIONS,
  type PinRecord,
  parsePinHash,
  pinHashText,
  pinProblem,
  verifyPin,
} from '../../extension/background/pin.js';
import {
  afterFailure,
  FIRST_LOCK_MS,
  FREE_FAILURES,
} from '../../extension/background/pin-backoff.js';

describe('parent PIN', () => {
  it('stores a salted PBKDF2 hash, never the PIN, and verifies it', async () => {
    const record = await hashPin('4711', 1_000);
    expect(JSON.stringify(record)).not.toContain('4711');
    expect(await verifyPin('4711', record)).toBe(true);
    expect(await verifyPin('4712', record)).toBe(false);
    expect(await verifyPin('', record)).toBe(false);
  });

  it('salts every hash differently', async () => {
    const [a, b] = await Promise.all([hashPin('4711', 1_000), hashPin('4711', 1_000)]);
    expect(a.salt).not.toBe(b.salt);
    expect(a.hash).not.toBe(b.hash);
  });

  it('uses a slow hash by default', async () => {
    expect(PIN_ITERATIONS).toBeGreaterThanOrEqual(600_000);
    expect((await hashPin('4711')).iterations).toBe(PIN_ITERATIONS);
  });

  it('refuses PINs that are too short or too long', async () => {
    expect(pinProblem('123')).toBe('too-short');
    expect(pinProblem('x'.repeat(65))).toBe('too-long');
    expect(pinProblem('1234')).toBeUndefined();
    await expect(hashPin('12')).rejects.toThrow();
  });
});

describe('PIN set by policy', () => {
  it('round-trips the pbkdf2-sha256$iterations$salt$hash form and refuses others', async () => {
    const record = await hashPin('97531', 600_000);
    const text = pinHashText(record);
    expect(parsePinHash(text)).toEqual(record);
    expect(await verifyPin('97531', parsePinHash(text) as PinRecord)).toBe(true);
    for (const bad of ['', 'sha1$600000$a$b', 'pbkdf2-sha256$10$a$b', 'pbkdf2-sha256$600000$a'])
      expect(parsePinHash(bad)).toBeUndefined();
  });
});

describe('wrong-PIN back-off', () => {
  it('locks from the fifth wrong PIN on, twice as long each time, at most a day', () => {
    let record = { failures: 0, lockedUntil: 0 };
    const locks: number[] = [];
    for (let i = 0; i < 30; i++) {
      record = afterFailure(record, 0);
      locks.push(record.lockedUntil);
    }
    expect(locks.slice(0, FREE_FAILURES - 1)).toEqual([0, 0, 0, 0]);
    expect(locks[FREE_FAILURES - 1]).toBe(FIRST_LOCK_MS);
    expect(locks[FREE_FAILURES]).toBe(2 * FIRST_LOCK_MS);
    expect(locks[29]).toBe(24 * 3600_000);
  });
});
