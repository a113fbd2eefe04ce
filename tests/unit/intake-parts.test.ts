import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Report } from '../../reporting/schema.js';
import { csvField } from '../../resolver/intake/export.js';
import { triagePageData } from '../../resolver/intake/groups.js';
import { OpenedReports } from '../../resolver/intake/opened.js';
import { hashPassword, verifyPassword } from '../../resolver/intake/passwords.js';
import { net64 } from '../../resolver/intake/quotas.js';
import { IntakeStore, UNKNOWN_ACCOUNT } from '../../resolver/intake/store.js';
import { newTotpSecret, totpCode, totpStep, totpUri } from '../../resolver/intake/totp.js';
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

describe('quota keys', () => {
  it('an IPv6 address counts against its /64; IPv4 (and IPv4-mapped) addresses against themselves', () => {
    expect(net64('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(net64('2001:0db8:0001:0002:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64');
    expect(net64('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(net64('::1')).toBe('0:0:0:0::/64');
    expect(net64('::ffff:127.0.0.9')).toBe('127.0.0.9');
    expect(net64('192.0.2.7')).toBe('192.0.2.7');
  });
});

describe('TOTP', () => {
  it('accepts the current code and its neighbours, nothing else', () => {
    const secret = newTotpSecret();
    const now = 1_800_000_000_000;
    const step = Math.floor(now / 30_000);
    expect(totpStep(secret, totpCode(secret, now), now)).toBe(step);
    expect(totpStep(secret, totpCode(secret, now + 30_000), now)).toBe(step + 1);
    expect(totpStep(secret, totpCode(secret, now - 90_000), now)).toBeUndefined();
    expect(totpStep(secret, 'abcdef', now)).toBeUndefined();
    expect(totpUri(secret, 'alice')).toMatch(/^otpauth:\/\/totp\/Kalkan%20intake:alice\?/);
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

describe('the store and its index', () => {
  const key = new Uint8Array(32).fill(7);
  const report = (id: string, url: string, seenAt: string, note?: string): Report => ({
    id,
    url,
    category: 'csem',
    whereFound: 'web_page',
    seenAt,
    createdAt: seenAt,
    source: 'cli',
    ...(note ? { note } : {}),
  });
  const sealed = (id: string) => ({ v: 1 as const, id, enc: 'AA', ct: 'BB' });

  it('pages URL groups by last seen, clamps a future date to arrival, applies decisions to what was seen', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kalkan-store-'));
    const store = new IntakeStore(dir);
    const opened = new OpenedReports(store, key, 3);
    const add = (r: Report, receivedAt: string) =>
      store.insert(sealed(r.id), receivedAt, opened.index.entry(r, receivedAt));
    add(
      report('1', 'https://a.test/x', '2026-01-01T00:00:00.000Z', 'first'),
      '2026-01-01T00:00:01.000Z',
    );
    add(report('2', 'https://b.test/', '2026-01-02T00:00:00.000Z'), '2026-01-02T00:00:01.000Z');
    // Claims to be seen in 2099: sorted by its arrival instead, so it cannot pin itself on top.
    add(report('3', 'https://c.test/', '2099-01-01T00:00:00.000Z'), '2026-01-01T12:00:00.000Z');
    const page = triagePageData(store, opened, { page: 1, search: '', onlyNew: false });
    expect(page.hosts.map((h) => h.host)).toEqual(['b.test', 'c.test', 'a.test']);
    expect(page.hosts[1]?.urls[0]?.lastSeen).toBe('2026-01-01T12:00:00.000Z');
    expect(page.hosts[2]?.urls[0]?.notes).toEqual(['first']);
    const [a] = triagePageData(store, opened, { page: 1, search: 'a.test', onlyNew: false }).hosts;
    const seen = a?.urls[0];
    expect(seen?.url).toBe('https://a.test/x');
    // A new report of the same URL arrives after the analyst loaded the page.
    add(report('4', 'https://a.test/x', '2026-01-03T00:00:00.000Z'), '2026-01-03T00:00:01.000Z');
    expect(
      store.decide(seen?.urlTag ?? '', seen?.throughSeq ?? 0, 'confirmed', 'A1', 'alice', 'now'),
    ).toEqual(['1']);
    const after = triagePageData(store, opened, {
      page: 1,
      search: 'https://a.test/x',
      onlyNew: false,
    });
    expect(after.hosts[0]?.urls[0]).toMatchObject({ count: 2, status: 'mixed' });
    expect(store.auditLog()[0]).toMatchObject({
      action: 'mark confirmed',
      detail: 'classification A1; reports 1',
    });
    expect(
      triagePageData(store, opened, { page: 1, search: 'nothing.test', onlyNew: false }).groups,
    ).toBe(0);
    // The opened-report cache holds at most its size.
    expect(opened.cached()).toBeLessThanOrEqual(3);
    store.close();
  });

  it('counts failed sign-ins per account and day, never storing an unknown name', async () => {
    const store = new IntakeStore(await mkdtemp(join(tmpdir(), 'kalkan-store-')));
    for (let i = 0; i < 500; i++)
      store.failedSignIn(
        UNKNOWN_ACCOUNT,
        `2026-01-01T00:00:${String(i % 60).padStart(2, '0')}.000Z`,
      );
    store.failedSignIn('alice', '2026-01-01T01:00:00.000Z');
    expect(store.failedSignIns().map((f) => [f.account, f.count])).toEqual([
      ['alice', 1],
      [UNKNOWN_ACCOUNT, 500],
    ]);
    expect(store.auditLog()).toEqual([]);
    store.close();
  });
});
