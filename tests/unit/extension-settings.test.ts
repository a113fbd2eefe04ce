/** Policy over parent settings. */
import { describe, expect, it, vi } from 'vitest';
import { parseManagedPolicy } from '../../extension/background/managed-policy.js';
import { DEFAULT_SETTINGS, mergeSettings } from '../../extension/background/settings.js';

vi.mock('../../extension/background/api.js', () => ({ browser: {} }));

const sub = (url: string) => ({ url, publicKey: 'kalkan-ed25519-public AAAA' });

describe('managed policy', () => {
  it('keeps well-formed values and drops the rest', () => {
    expect(
      parseManagedPolicy({
        subscriptions: [sub('https://a.example/l.klb'), { url: 1 }, 'x'],
        reportDestination: 'https://intake.example/',
        lock: 'yes',
      }),
    ).toEqual({
      subscriptions: [sub('https://a.example/l.klb')],
      reportDestination: 'https://intake.example/',
    });
  });

  it('reads the PIN, unlocks, audience and block-page texts, and drops bad ones', () => {
    expect(
      parseManagedPolicy({
        pinHash: 'not a hash',
        unlocks: false,
        audience: 'school',
        helplineNumber: ' 111 ',
        confidentialHelp: '',
        appealContact: 7,
      }),
    ).toEqual({
      // A malformed hash still takes the PIN away from the browser: it matches no PIN.
      pin: { salt: '', iterations: 1, hash: 'invalid' },
      unlocks: false,
      audience: 'school',
      helplineNumber: '111',
    });
    expect(parseManagedPolicy({ audience: 'pupils' })).toEqual({});
    const merged = mergeSettings(undefined, { unlocks: false, audience: 'school' });
    expect(merged).toMatchObject({
      unlocksAllowed: false,
      audience: 'school',
      pinByPolicy: false,
      helplineNumber: '111',
    });
  });

  it('wins over the parent and locks when told to', () => {
    const merged = mergeSettings(
      {
        ...DEFAULT_SETTINGS,
        subscriptions: [sub('https://own.example/'), sub('https://a.example/')],
        reportDestination: 'https://own.example/',
      },
      {
        subscriptions: [sub('https://a.example/')],
        reportDestination: 'https://school.example/',
        lock: true,
      },
    );
    expect(merged.subscriptions.map((s) => s.url)).toEqual([
      'https://a.example/',
      'https://own.example/',
    ]);
    expect(merged.reportDestination).toBe('https://school.example/');
    expect(merged.locked).toBe(true);
    expect(mergeSettings(undefined, {})).toMatchObject({
      categories: { adult: true },
      locked: false,
    });
  });
});

describe('report destination', () => {
  const own = {
    ...DEFAULT_SETTINGS,
    reportDestination: 'https://own.example/',
    reportUnitKey: 'own',
  };
  it('comes from policy as one pair, URL and key together', () => {
    expect(parseManagedPolicy({ reportUnitKey: 'k', reportDestination: 7 })).toEqual({
      reportUnitKey: 'k',
    });
    const merged = mergeSettings(own, {
      reportDestination: 'https://school.example/',
      reportUnitKey: 'school',
    });
    expect([merged.reportDestination, merged.reportUnitKey]).toEqual([
      'https://school.example/',
      'school',
    ]);
    // A policy URL without a key never pairs with the parent's key.
    expect(mergeSettings(own, { reportDestination: 'https://s.example/' }).reportUnitKey).toBe('');
    expect(mergeSettings(own, {}).reportUnitKey).toBe('own');
  });
});
