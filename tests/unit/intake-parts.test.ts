import { describe, expect, it } from 'vitest';
import { csvField } from '../../resolver/intake/export.js';
import { groupReports } from '../../resolver/intake/groups.js';
import type { TriageItem } from '../../resolver/intake/opened.js';
import { hashPassword, verifyPassword } from '../../resolver/intake/passwords.js';
import { RateLimiter } from '../../resolver/intake/rate-limit.js';
import { csrfMatches, SESSION_COOKIE, Sessions } from '../../resolver/intake/sessions.js';
import { escapeHtml } from '../../resolver/intake/triage-page.js';

describe('analyst passwords', () => {
  it('hash with scrypt and a random salt; verify only the right password', async () => {
    const a = await hashPassword('correct horse battery');
    const b = await hashPassword('correct horse battery');
    expect(a).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword('correct horse battery', a)).toBe(true);
    expect(await verifyPassword('correct horse batterx', a)).toBe(false);
    expect(await verifyPassword('anything', 'plain-text')).toBe(false);
  });

  it('refuses short passwords', async () => {
    await expect(hashPassword('short')).rejects.toThrow('at least 12');
  });
});

describe('sessions and CSRF', () => {
  it('finds a session by cookie, expires it when idle, and checks the CSRF token', () => {
    let now = 0;
    const sessions = new Sessions(() => now);
    const session = sessions.create('alice');
    const cookie = `other=1; ${SESSION_COOKIE}=${session.id}`;
    expect(sessions.fromCookie(cookie)?.user).toBe('alice');
    expect(sessions.fromCookie(`${SESSION_COOKIE}=forged`)).toBeUndefined();
    expect(csrfMatches(session, session.csrf)).toBe(true);
    expect(csrfMatches(session, `${session.csrf.slice(0, -1)}x`)).toBe(false);
    expect(csrfMatches(session, undefined)).toBe(false);
    now = 31 * 60_000;
    expect(sessions.fromCookie(cookie)).toBeUndefined();
  });
});

describe('rate limiter', () => {
  it('allows a burst per address, then asks to wait until a token refills', () => {
    let now = 0;
    const limiter = new RateLimiter(60, 3, () => now);
    expect([limiter.take('a'), limiter.take('a'), limiter.take('a')]).toEqual([0, 0, 0]);
    expect(limiter.take('a')).toBe(1000);
    expect(limiter.take('b')).toBe(0);
    now = 1000;
    expect(limiter.take('a')).toBe(0);
  });
});

describe('output escaping', () => {
  it('escapes HTML and neutralizes spreadsheet formulas in CSV', () => {
    expect(escapeHtml(`<a href="x">'&`)).toBe('&#60;a href=&#34;x&#34;&#62;&#39;&#38;');
    expect(csvField('=HYPERLINK("http://x.test")')).toBe(`"'=HYPERLINK(""http://x.test"")"`);
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
  });
});

describe('triage groups', () => {
  const item = (
    id: string,
    url: string,
    seenAt: string,
    status: TriageItem['status'],
  ): TriageItem => ({
    sealed: { v: 1, id, enc: 'AA', ct: 'BB' },
    receivedAt: seenAt,
    status,
    report: {
      id,
      url,
      category: 'csem',
      whereFound: 'web_page',
      seenAt,
      createdAt: seenAt,
      source: 'cli',
    },
  });

  it('groups by host then URL with counts, first/last seen and a mixed state', () => {
    const groups = groupReports([
      item('1', 'https://a.test/x', '2026-01-02T00:00:00.000Z', 'confirmed'),
      item('2', 'https://a.test/x', '2026-01-01T00:00:00.000Z', 'new'),
      item('3', 'https://a.test/y', '2026-01-03T00:00:00.000Z', 'new'),
      item('4', 'https://b.test/', '2026-01-04T00:00:00.000Z', 'rejected'),
    ]);
    expect(groups.map((g) => [g.host, g.count])).toEqual([
      ['a.test', 3],
      ['b.test', 1],
    ]);
    const [a] = groups;
    expect(a).toMatchObject({
      firstSeen: '2026-01-01T00:00:00.000Z',
      lastSeen: '2026-01-03T00:00:00.000Z',
    });
    const x = a?.urls.find((u) => u.url === 'https://a.test/x');
    expect(x).toMatchObject({ count: 2, ids: ['1', '2'], status: 'mixed' });
    expect(groups[1]?.urls[0]?.status).toBe('rejected');
  });
});
