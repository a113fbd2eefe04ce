import { describe, expect, it } from 'vitest';
import { newReport, parseReport, ReportError } from '../../reporting/schema.js';

const valid = {
  id: '3b241101-e2bb-4255-8caf-4136c566a962',
  url: 'https://abuse-demo.test/path?q=1',
  category: 'csem',
  whereFound: 'web_page',
  seenAt: '2026-01-02T03:04:05.000Z',
  createdAt: '2026-01-02T03:04:06.000Z',
  source: 'extension',
};

function fieldOf(input: unknown): string {
  try {
    parseReport(input);
  } catch (error) {
    expect(error).toBeInstanceOf(ReportError);
    return (error as ReportError).field;
  }
  throw new Error('expected a ReportError');
}

describe('report schema', () => {
  it('accepts a valid report unchanged', () => {
    expect(parseReport(valid)).toEqual(valid);
  });

  it.each([
    ['id', { ...valid, id: 'not-a-uuid' }],
    ['id', { ...valid, id: '3b241101-e2bb-1255-8caf-4136c566a962' }],
    ['url', { ...valid, url: 'ftp://abuse-demo.test/' }],
    ['url', { ...valid, url: 'javascript:alert(1)' }],
    ['url', { ...valid, url: `https://abuse-demo.test/${'a'.repeat(2048)}` }],
    ['url', { ...valid, url: 'not a url' }],
    ['category', { ...valid, category: 'spam' }],
    ['whereFound', { ...valid, whereFound: 'tv' }],
    ['seenAt', { ...valid, seenAt: 'yesterday' }],
    ['createdAt', { ...valid, createdAt: undefined }],
    ['source', { ...valid, source: 'browser' }],
    ['note', { ...valid, note: 'x'.repeat(501) }],
    ['contact', { ...valid, contact: 'y'.repeat(201) }],
    ['screenshot', { ...valid, screenshot: 'data:' }],
  ])('names the bad field %s', (field, input) => {
    expect(fieldOf(input)).toBe(field);
  });

  it('says a missing field is required', () => {
    const { url: _url, ...rest } = valid;
    expect(() => parseReport(rest)).toThrow('url: is required');
  });

  it('strips credentials from the URL', () => {
    const report = parseReport({ ...valid, url: 'http://user:secret@abuse-demo.test:8080/a' });
    expect(report.url).toBe('http://abuse-demo.test:8080/a');
  });

  it('accepts a URL of exactly 2048 characters', () => {
    const base = 'https://abuse-demo.test/';
    const url = base + 'a'.repeat(2048 - base.length);
    expect(parseReport({ ...valid, url }).url).toHaveLength(2048);
  });

  it('removes control and bidi characters from the note and keeps 500 characters', () => {
    const report = parseReport({
      ...valid,
      note: ' line one\r\nline\u0000 two\u202E\u0007 ',
    });
    expect(report.note).toBe('line one line two');
    expect(parseReport({ ...valid, note: `${'n'.repeat(500)}\u0001` }).note).toHaveLength(500);
  });

  it('drops a note that is empty after cleaning', () => {
    expect(parseReport({ ...valid, note: '\u0000\n' })).not.toHaveProperty('note');
  });

  it('builds a new report with a fresh UUIDv4 id, times and source', () => {
    const report = newReport(
      { url: 'https://csam-demo.example/', category: 'grooming' },
      { source: 'resolver', now: () => new Date('2026-05-01T00:00:00Z') },
    );
    expect(report.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(report).toMatchObject({
      whereFound: 'web_page',
      seenAt: '2026-05-01T00:00:00.000Z',
      createdAt: '2026-05-01T00:00:00.000Z',
      source: 'resolver',
    });
    const other = newReport(
      { url: 'https://csam-demo.example/', category: 'grooming' },
      { source: 'cli' },
    );
    expect(other.id).not.toBe(report.id);
  });
});
