/** Policy over parent settings, and the report queue's draft check. */
import { describe, expect, it, vi } from 'vitest';
import { parseManagedPolicy } from '../../extension/background/managed-policy.js';
import { validateDraft } from '../../extension/background/report-queue.js';
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

describe('report drafts', () => {
  it('accepts a web URL with a known category and refuses the rest', () => {
    const ok = { url: 'http://x.example/', category: 'csam_suspected', foundVia: 'popup' } as const;
    expect(validateDraft(ok)).toBeUndefined();
    expect(validateDraft({ ...ok, url: 'file:///etc/passwd' })).toBe('url');
    expect(validateDraft({ ...ok, url: 'not a url' })).toBe('url');
    expect(validateDraft({ ...ok, category: 'spam' as 'other' })).toBe('category');
    expect(validateDraft({ ...ok, note: 'x'.repeat(501) })).toBe('note');
  });
});
