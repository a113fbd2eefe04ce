/**
 * The status page's and the console's catalogues: ru and ky have every key of en, the same
 * placeholders, and no string left in English; pages rendered in ru and ky show no English
 * string of the catalogue. The reasons the console shows (config check, name parsing, a list's
 * refused update) are produced for real and come out in ru and ky, every template used.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BundleErrorCode } from '../../blocklists/bundle/errors.js';
import { ConfigEditor, checkConfigText } from '../../resolver/console/config-file.js';
import { consolePage } from '../../resolver/console/page.js';
import { hostOf } from '../../resolver/console/rule-edits.js';
import { CATALOGUES, chooseLanguage, text } from '../../resolver/serve/language.js';
import { en } from '../../resolver/serve/messages/en.js';
import { inLanguage, listRefusalText } from '../../resolver/serve/reasons.js';
import { Stats } from '../../resolver/serve/stats.js';
import { renderStatusPage } from '../../resolver/serve/status-page.js';
import { DEMO_ABUSE, DEMO_ADULT, DEMO_PUB } from '../helpers/resolver.js';

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
    lists: [
      {
        location: '/var/lib/kalkan/adult.klb',
        id: 'adult',
        category: 'adult',
        sequence: 3,
        entries: 2,
        origin: 'last-good',
        error: 'bundle expired on 2026-11-01',
        errorCode: 'expired',
        expires: '2026-12-01T00:00:00Z',
        expiresInDays: 1,
      },
    ] as never,
    sources: [],
    upstreams: [
      { label: '192.0.2.53:53', down: false, consecutiveFailures: 0, answered: 1, failed: 0 },
    ] as never,
    listen: ['127.0.0.1:53'],
    cacheEntries: 0,
    problems: {
      notReady: [
        {
          kind: 'list-missing',
          source: { location: 'https://lists.example/abuse.klb', expectedId: 'abuse' },
          servingUnfiltered: false,
        },
      ],
      warnings: [
        {
          kind: 'list-missing',
          source: {
            location: 'https://lists.example/other.klb',
            lastError: 'bad signature',
            lastErrorCode: 'bad-signature',
          },
          servingUnfiltered: true,
        },
        {
          kind: 'list-expired',
          source: {
            location: '/var/lib/kalkan/adult.klb',
            bundle: { meta: { id: 'adult', expires: '2026-11-01T00:00:00Z' } },
          },
        },
        { kind: 'upstream-down', upstream: { label: '192.0.2.53:53', lastError: 'ECONNREFUSED' } },
      ],
    } as never,
  };
  for (const lang of ['ru', 'ky'] as const) {
    it(`the status page in ${lang} shows no English catalogue string`, () => {
      // Positive control: the English page is full of them.
      const english = renderStatusPage(status, { lang: 'en', t: text('en') });
      expect(englishIn(english, lang).length).toBeGreaterThan(20);
      const html = renderStatusPage(status, { lang, t: text(lang) });
      expect(html).toContain(`<html lang="${lang}">`);
      expect(englishIn(html, lang)).toEqual([]);
      // A list's refused update by its code, not the loader's English.
      expect(html).toContain(text(lang)('listError.expired'));
      expect(html).not.toContain('bundle expired');
      // The problems too: each said in the page's language, with its values.
      expect(english).toContain('list abuse has no usable copy: not loaded yet');
      expect(html).toContain(text(lang)('problem.servingUnfiltered'));
      expect(html).toContain(text(lang)('listError.bad-signature'));
      expect(html).toContain('192.0.2.53:53');
    });

    it(`the console in ${lang} shows no English catalogue string`, () => {
      const html = consolePage(pageFixture(lang));
      expect(englishIn(html, lang)).toEqual([]);
      expect(html).toContain(text(lang)('listError.expired'));
      expect(html).not.toContain('bundle expired');
      // Dates too: 2026-11-30 is a Monday, written in the page's language.
      expect(html).toContain(lang === 'ru' ? 'понедельник' : 'дүйшөмбү');
      expect(html).not.toContain('Monday');
    });
  }
});

/** A console page with something in every part. */
function pageFixture(lang: 'ru' | 'ky'): Parameters<typeof consolePage>[0] {
  return {
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
      upstream: { noAnswer: 'timeout' },
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
          lastRefusal: { code: 'expired', message: 'bundle expired on 2026-11-01' },
        },
      ],
      upstreams: [{ label: 'u', state: { kind: 'up' }, lastRttMs: 1, lastError: undefined }],
    },
  };
}

describe('the reasons the console shows', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kalkan-reasons-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const LISTS: Record<string, unknown>[] = [{ file: DEMO_ABUSE }, { file: DEMO_ADULT }];
  const base = () => ({
    listen: ['127.0.0.1:5353'],
    status: null,
    dataDir: join(dir, 'data'),
    trust: [DEMO_PUB],
    lists: LISTS,
  });
  const rule = { action: 'block', addedBy: 'anna', addedAt: '2026-11-30T10:00:00Z' };
  /** What the config check says of each change a console form can make. */
  const refusedChanges: Record<string, unknown>[] = [
    { devices: [{ name: 'PC', address: 'nonsense', policy: 'default' }] },
    { devices: [{ name: '', address: '192.0.2.1', policy: 'default' }] },
    { devices: [{ name: 'PC', policy: 'default' }] },
    { devices: [{ name: 'PC', address: '192.0.2.1', policy: 'kids' }] },
    { policies: [{ name: '' }] },
    { policies: [{ name: 'kids', categories: ['adlt'] }] },
    {
      lists: [...LISTS, { url: 'https://lists.example/more.klb' }],
      policies: [{ name: 'kids', categories: ['adlt'] }],
    },
    { policies: [{ name: 'kids', schedule: [{ days: [], from: '25:00', to: '07:00' }] }] },
    { localRules: [{ ...rule, name: 'x.example', category: 'abuse' }] },
    { localRules: [{ ...rule, name: 'Not A Name' }] },
  ];
  /** Names as staff type them that are not names. */
  const notNames = [
    '',
    '192.0.2.1',
    'ä b.test',
    'xn--ä.test',
    'localhost',
    `${'a.'.repeat(130)}test`,
    'test',
    'a..test',
    '-a.test',
    'http://[x',
  ];

  async function reasons(): Promise<string[]> {
    const lines: string[] = [];
    for (const change of refusedChanges) {
      const checked = await checkConfigText(
        JSON.stringify({ ...base(), ...change }),
        join(dir, 'r.yaml'),
      );
      expect(checked.ok, JSON.stringify(change)).toBe(false);
      if (!checked.ok) for (const problem of checked.problems) lines.push(problem);
    }
    for (const name of notNames) {
      const host = hostOf(name);
      expect(host.ok, name).toBe(false);
      if (!host.ok) lines.push(host.reason);
    }
    // A config whose editor cannot write its temporary file (the name is too long for it).
    const config = join(dir, `${'c'.repeat(240)}.yaml`);
    await writeFile(config, JSON.stringify(base()));
    const written = await new ConfigEditor(config).edit((doc) => doc.set('timeZone', 'UTC'));
    expect(written.ok).toBe(false);
    if (!written.ok) for (const problem of written.problems) lines.push(problem);
    return lines;
  }

  it('are each a reason of the catalogue, and every reason template is used', async () => {
    const used = new Set<string>();
    for (const line of await reasons())
      expect(
        inLanguage(line, (key) => {
          used.add(key);
          return key;
        }),
        line,
      ).not.toBe(line);
    const templates = Object.keys(en).filter((k) => k.startsWith('reason.'));
    expect([...used].sort()).toEqual(templates.sort());
  });

  /** The English words of the reason templates (placeholders cut out). */
  const englishParts = Object.entries(en)
    .filter(([key]) => key.startsWith('reason.'))
    .flatMap(([, value]) => value.split(/\{\w+\}/).map((part) => part.trim()))
    .filter((part) => part.length > 3);

  for (const lang of ['ru', 'ky'] as const)
    it(`come out in ${lang}, the location kept, no English reason left`, async () => {
      const t = text(lang);
      for (const line of await reasons()) {
        const said = inLanguage(line, t);
        expect(said, line).toMatch(/\p{Script=Cyrillic}/u);
        for (const part of englishParts) expect(said, line).not.toContain(part);
      }
      // file:line: key: stays (it names the config's key).
      const [first] = await reasons();
      expect(inLanguage(first as string, t)).toMatch(/r\.yaml:\d+: devices\.0\.address: /);
      const page = consolePage({
        ...pageFixture(lang),
        notice: { ok: false, lines: await reasons() },
      });
      expect(page).not.toContain('expected an address or ADDRESS/BITS');
      expect(page).toContain(t('reason.addressOrSubnet'));
    });

  it('a list refused for each reason a bundle is refused is named in ru and ky', () => {
    const codes: Record<BundleErrorCode, true> = {
      truncated: true,
      'bad-magic': true,
      'unsupported-version': true,
      corrupt: true,
      'unknown-key': true,
      'bad-signature': true,
      expired: true,
      'sequence-rollback': true,
      'wrong-list': true,
    };
    for (const lang of ['ru', 'ky'] as const)
      for (const code of Object.keys(codes)) {
        const said = listRefusalText({ code, message: 'english detail' }, text(lang));
        expect(said, code).toMatch(/\p{Script=Cyrillic}/u);
      }
    // Without a code (a file that cannot be read), the message as it came.
    expect(listRefusalText({ code: undefined, message: 'ENOENT' }, text('ru'))).toBe('ENOENT');
  });
});
