/**
 * One meaning per category: every form shows the words of reporting/categories.ts, in every
 * language. A form with wording of its own fails here.
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  CATEGORY_DEFINITIONS,
  REPORT_LANGUAGES,
  WHERE_FOUND_DEFINITIONS,
} from '../../reporting/categories.js';
import { CATEGORIES, WHERE_FOUND } from '../../reporting/schema.js';
import { reportsCommand } from '../../resolver/cli/reports.js';
import { HelpRequested } from '../../resolver/cli/usage.js';
import { csv } from '../../resolver/intake/export.js';
import type { TriageItem } from '../../resolver/intake/opened.js';
import type { ReportService } from '../../resolver/reports/service.js';
import { ReportForm } from '../../resolver/serve/report-form.js';
import { formText } from '../../resolver/serve/report-form-text.js';

const labelOf = (select: 'category' | 'where', value: string) =>
  select === 'category'
    ? CATEGORY_DEFINITIONS[value as keyof typeof CATEGORY_DEFINITIONS].label
    : WHERE_FOUND_DEFINITIONS[value as keyof typeof WHERE_FOUND_DEFINITIONS].label;

/** `<select id|name=…>` options of an HTML page: value, message key (if any) and shown text. */
function options(html: string, select: string) {
  const body = new RegExp(`<select (?:id|name)="${select}"[^>]*>(.*?)</select>`, 's').exec(
    html,
  )?.[1];
  expect(body, `select ${select}`).toBeDefined();
  return [
    ...(body ?? '').matchAll(/<option value="([a-z_]+)"(?: data-i18n="(\w+)")?[^>]*>([^<]*)</g),
  ].map(([, value = '', key, text = '']) => ({ value, key, text }));
}

describe('the extension takes the shared wording', () => {
  const html = readFileSync('extension/pages/report.html', 'utf8');
  const messages = Object.fromEntries(
    REPORT_LANGUAGES.map((lang) => [
      lang,
      JSON.parse(readFileSync(`extension/_locales/${lang}/messages.json`, 'utf8')) as Record<
        string,
        { message: string }
      >,
    ]),
  );

  for (const [select, values] of [
    ['category', CATEGORIES],
    ['where', WHERE_FOUND],
  ] as const) {
    it(`report page: every ${select} option, in en/ru/ky`, () => {
      const shown = options(html, select);
      expect(shown.map((o) => o.value)).toEqual([...values]);
      for (const option of shown) {
        const label = labelOf(select, option.value);
        expect(option.text).toBe(label.en);
        for (const lang of REPORT_LANGUAGES) {
          expect(messages[lang]?.[option.key ?? '']?.message, `${lang} ${option.key}`).toBe(
            label[lang],
          );
        }
      }
    });
  }

  it('the popup names each category by the report page’s message key', () => {
    const popup = readFileSync('extension/pages/popup.ts', 'utf8');
    const keys = Object.fromEntries(
      [...popup.matchAll(/^\s+(\w+): '(reportCat\w+)',$/gm)].map(([, c, k]) => [c, k]),
    );
    const page = Object.fromEntries(options(html, 'category').map((o) => [o.value, o.key]));
    expect(keys).toEqual(page);
  });
});

describe("the café's status page takes the shared wording", () => {
  const service = { entries: async () => [] } as unknown as ReportService;
  const form = new ReportForm(service);

  for (const lang of REPORT_LANGUAGES) {
    it(`renders the shared ${lang} labels`, async () => {
      const request = {
        headers: { host: '127.0.0.1:8080', 'accept-language': lang },
      } as unknown as IncomingMessage;
      const html = await form.section(request);
      for (const [select, name] of [
        ['category', 'category'],
        ['where', 'whereFound'],
      ] as const) {
        for (const option of options(html, name)) {
          expect(option.text).toBe(labelOf(select, option.value)[lang]);
        }
      }
      expect(formText(lang).categories).toEqual(
        Object.fromEntries(CATEGORIES.map((c) => [c, CATEGORY_DEFINITIONS[c].label[lang]])),
      );
    });
  }

  it('says which field to fix in the page’s own language', () => {
    expect(formText('ru').checkField(formText('ru').url)).toBe(
      'проверьте поле «Адрес (URL) страницы»',
    );
  });
});

describe('the CLI help and the exports take the shared wording', () => {
  afterEach(() => vi.restoreAllMocks());

  it('kalkan reports --help lists every category and place with its words', async () => {
    // --help ends the command with the usage text, which kalkan prints (exit 0).
    const help = await reportsCommand(['--help']).catch((error: Error) => error);
    expect(help).toBeInstanceOf(HelpRequested);
    const printed = [(help as HelpRequested).message];
    for (const c of CATEGORIES) {
      expect(printed.join('\n')).toMatch(
        new RegExp(`${c}\\s+${CATEGORY_DEFINITIONS[c].label.en.replace(/[()]/g, '\\$&')}`),
      );
    }
    for (const w of WHERE_FOUND) {
      expect(printed.join('\n')).toContain(WHERE_FOUND_DEFINITIONS[w].label.en);
    }
  });

  it('the CSV export names the category with its shared meaning', () => {
    const item: TriageItem = {
      sealed: { v: 1, id: 'a', enc: 'AA', ct: 'BB' },
      receivedAt: '2026-01-01T00:00:00.000Z',
      status: 'new',
      report: {
        id: 'a',
        url: 'https://abuse-demo.test/x',
        category: 'grooming',
        whereFound: 'chat',
        seenAt: '2026-01-01T00:00:00.000Z',
        createdAt: '2026-01-01T00:00:00.000Z',
        source: 'cli',
      },
    };
    const text = csv([item]);
    expect(text.split('\r\n')[1]).toMatch(/,grooming,chat,cli,.*,Grooming: an adult/i);
    expect(text).toContain(`,${CATEGORY_DEFINITIONS.grooming.meaning}\r\n`);
  });
});
