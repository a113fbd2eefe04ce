import { describe, expect, it } from 'vitest';
import { hashPin, PIN_ITERATIONS, pinProblem, verifyPin } from '../../extension/background/pin.js';

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
