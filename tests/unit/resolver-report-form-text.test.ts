/** The status page's report form picks its language from Accept-Language; every language has every label. */
import { describe, expect, it } from 'vitest';
import { CATEGORIES, WHERE_FOUND } from '../../reporting/schema.js';
import { formText } from '../../resolver/serve/report-form-text.js';

describe('report form language', () => {
  it("takes the browser's first language the form has, by q-value, else English", () => {
    expect(formText('ru-RU,ru;q=0.9,en;q=0.8').lang).toBe('ru');
    expect(formText('en-US,ky;q=0.5').lang).toBe('en');
    expect(formText('de, ky;q=0.7, ru;q=0.3').lang).toBe('ky');
    expect(formText('fr;q=0.9, ru;q=0.95').lang).toBe('ru');
    expect(formText('ru;q=0').lang).toBe('en');
    expect(formText(undefined).lang).toBe('en');
    expect(formText('').lang).toBe('en');
  });

  it('names every category and place in every language, each differently', () => {
    for (const lang of ['en', 'ru', 'ky']) {
      const t = formText(lang);
      expect(Object.keys(t.categories).sort()).toEqual([...CATEGORIES].sort());
      expect(Object.keys(t.whereFound).sort()).toEqual([...WHERE_FOUND].sort());
      expect(new Set(Object.values(t.categories)).size).toBe(CATEGORIES.length);
    }
    expect(formText('ru').title).not.toBe(formText('en').title);
    expect(formText('ky').failedAfter(2, 'HTTP 422')).toContain('2');
  });
});
