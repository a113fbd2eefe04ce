/**
 * The status page's and the console's catalogues: ru and ky have every key of en, the same
 * placeholders, and no string left in English; pages rendered in ru and ky show no English
 * string of the catalogue.
 */
import { describe, expect, it } from 'vitest';
import { consolePage } from '../../resolver/console/page.js';
import { CATALOGUES, chooseLanguage, text } from '../../resolver/serve/language.js';
import { en } from '../../resolver/serve/messages/en.js';
import { Stats } from '../../resolver/serve/stats.js';
import { renderStatusPage } from '../../resolver/serve/status-page.js';

const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('message catalogues', () => {
  for (const lang of ['ru', 'ky'] as const) {
    const catalogue = CATALOGUES[lang];
    it(`${lang} has exactly the keys of en with the same placeholders`, () => {
      expect(Object.keys(catalogue).sort()).toEqual(Object.keys(en).sort());
      for (const [key, value] of Object.entries(en))
        expect(placeholders(catalogue[key as keyof typeof en]), key).toEqual(placeholders(value));
    });

    it(`${lang} leaves no string untranslated`, () => {
      for (const [key, value] of Object.entries(catalogue)) {
        expect(value, key).not.toBe(en[key as keyof typeof en]);
        expect(value, `${key} has no Cyrillic letter`).toMatch(/\p{Script=Cyrillic}/u);
      }
    });
  }

  it('chooses by ?lang=, then the cookie, then Accept-Language', () => {
    expect(chooseLanguage(undefined, undefined, 'ky-KG,ru;q=0.8,en;q=0.5')).toBe('ky');
    expect(chooseLanguage(undefined, undefined, 'de-DE,ru;q=0.7')).toBe('ru');
    expect(chooseLanguage(undefined, undefined, 'de-DE')).toBe('en');
    expect(chooseLanguage(undefined, 'ru', 'ky')).toBe('ru');
    expect(chooseLanguage('en', 'ru', 'ky')).toBe('en');
    expect(chooseLanguage('xx', undefined, 'ky')).toBe('ky');
  });
});

/** English strings of the catalogue that appear in `html` (placeholders cut out). */
function englishIn(html: string, lang: 'ru' | 'ky'): string[] {
  const page = html
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#39;/g, "'")
    .replace(/&quot;/g, '"');
  return Object.entries(en).flatMap(([key, value]) =>
    value
      .split(/\{\w+\}/)
      .map((part) => part.trim())
      .filter((part) => part.length > 3 && !CATALOGUES[lang][key as keyof typeof en].includes(part))
      .filter((part) => page.includes(part) && key !== 'lang.name')
      .map((part) => `${key}: ${part}`),
  );
}

describe('pages in ru and ky', () => {
  const stats = new Stats();
  stats.query();
  stats.block('abuse');
  const status = {
    startedAt: new Date('2026-11-30T10:00:00Z'),
    stats,
    lists: [],
    sources: [],
    upstreams: [
      { label: '192.0.2.53:53', down: false, consecutiveFailures: 0, answered: 1, failed: 0 },
    ] as never,
    listen: ['127.0.0.1:53'],
    cacheEntries: 0,
    problems: { notReady: [], warnings: ['upstream 192.0.2.53:53 is down'] },
  };
  for (const lang of ['ru', 'ky'] as const) {
    it(`the status page in ${lang} shows no English catalogue string`, () => {
      // Positive control: the English page is full of them.
      const english = renderStatusPage(status, { lang: 'en', t: text('en') });
      expect(englishIn(english, lang).length).toBeGreaterThan(20);
      const html = renderStatusPage(status, { lang, t: text(lang) });
      expect(html).toContain(`<html lang="${lang}">`);
      expect(englishIn(html, lang)).toEqual([]);
    });

    it(`the console in ${lang} shows no English catalogue string`, () => {
      const html = consolePage({
        lang,
        t: text(lang),
        user: 'anna',
        csrf: 'token',
        rules: [
          {
            name: 'games.example',
            action: 'block',
            category: 'adult',
            note: '',
            addedBy: 'anna',
            addedAt: '2026-11-30T10:00:00Z',
          },
        ],
        editable: true,
        reportsConfigured: true,
        notice: {
          ok: false,
          lines: [],
          review: { name: 'x.test', category: 'abuse', listId: 'l' },
        },
        check: {
          host: 'x.test',
          policy: 'default',
          verdict: 'allowedLocally',
          upstream: 'NOERROR',
        },
        devices: [{ name: 'PC', address: '192.0.2.20', policy: 'children' }],
        policies: [
          {
            name: 'children',
            subnets: [],
            schedule: [{ days: ['mon', 'sun'], from: '15:00', to: '21:00', safeSearch: true }],
            nowBlocks: undefined,
            nowSafeSearch: true,
          },
        ],
        timeZone: 'Asia/Bishkek',
        now: new Date('2026-11-30T12:00:00Z'),
        activity: {
          timeZone: 'Asia/Bishkek',
          now: new Date(),
          days: [{ day: '2026-11-30', counts: new Map([['queries', 3]]) }],
          lists: [
            {
              id: 'demo',
              category: 'adult',
              entries: 2,
              created: new Date(),
              loadedAt: new Date(),
              expires: new Date(),
              lastRefusal: undefined,
            },
          ],
          upstreams: [{ label: 'u', state: { kind: 'up' }, lastRttMs: 1, lastError: undefined }],
        },
      });
      expect(englishIn(html, lang)).toEqual([]);
      // Dates too: 2026-11-30 is a Monday, written in the page's language.
      expect(html).toContain(lang === 'ru' ? 'понедельник' : 'дүйшөмбү');
      expect(html).not.toContain('Monday');
    });
  }
});
