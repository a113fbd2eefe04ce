/** The service worker's decision for one navigation, and the DNR rules it installs. */
import { describe, expect, it, vi } from 'vitest';
import { ALLOW_PRIORITY, BLOCK_PRIORITY } from '../../blocklists/exports/dnr.js';
import { Matcher } from '../../blocklists/matcher.js';
import { checkNavigation } from '../../extension/background/navigation-check.js';
import { HASHED_BLOCK_PRIORITY, hitRules } from '../../extension/background/session-rules.js';
import { UNLOCK_PRIORITY, unlockRule } from '../../extension/background/unlock.js';
import { installGateRules } from '../../extension/rules/install-gate.js';
import { safeSearchRules } from '../../extension/rules/safe-search.js';
import { loadedFromSource } from '../helpers/bundles.js';

// A Chrome worker: its URL tells target.ts which browser's rule schema to use.
vi.mock('../../extension/background/api.js', () => ({
  browser: { runtime: { getURL: (path: string) => `chrome-extension://kalkan/${path}` } },
}));

const matcher = new Matcher([
  await loadedFromSource('listed.example\n', 'abuse.txt'),
  await loadedFromSource('url\nhttp://url-only.example/bad/\n', 'urls.csv', { meta: { id: 'u' } }),
]);

describe('checkNavigation', () => {
  it('blocks a listed host and its subdomains, naming only the host', () => {
    for (const url of ['http://listed.example/', 'https://a.b.listed.example/secret/path?q=1']) {
      const verdict = checkNavigation(matcher, url);
      expect(verdict).toMatchObject({ blocked: true, category: 'abuse', wholeHost: true });
      if (!verdict.blocked) throw new Error('unreachable');
      expect(verdict.blockPagePath).not.toContain('secret');
      expect(verdict.blockPagePath).toMatch(/^\/pages\/block\.html\?c=abuse&h=/);
    }
  });

  it('blocks a URL-level entry without blocking its whole host', () => {
    expect(checkNavigation(matcher, 'http://url-only.example/bad/page')).toMatchObject({
      blocked: true,
      wholeHost: false,
    });
    expect(checkNavigation(matcher, 'http://url-only.example/good/')).toEqual({ blocked: false });
  });

  it('lets unlisted and non-web URLs through', () => {
    expect(checkNavigation(matcher, 'http://unlisted.example/')).toEqual({ blocked: false });
    expect(checkNavigation(matcher, 'chrome-extension://x/listed.example')).toEqual({
      blocked: false,
    });
    expect(checkNavigation(matcher, 'about:blank')).toEqual({ blocked: false });
  });
});

describe('rules', () => {
  it('puts hashed-list hits above unlocks, and unlocks above list rules', () => {
    const [redirect, block] = hitRules('listed.example', 'abuse', 7);
    expect(redirect?.priority).toBe(HASHED_BLOCK_PRIORITY);
    expect(redirect?.condition.resourceTypes).toEqual(['main_frame']);
    expect(block?.id).toBe(8);
    expect(HASHED_BLOCK_PRIORITY).toBeGreaterThan(UNLOCK_PRIORITY);
    expect(UNLOCK_PRIORITY).toBeGreaterThan(Math.max(ALLOW_PRIORITY, BLOCK_PRIORITY));
  });

  it('unlocks main frames too (a rule without resourceTypes skips main_frame)', () => {
    expect(unlockRule('adult.example', 7, 100_000).condition.resourceTypes).toContain('main_frame');
  });

  it('gates every http(s) load above every other rule until the worker is ready', () => {
    const [gate] = installGateRules();
    expect(gate?.priority).toBeGreaterThan(HASHED_BLOCK_PRIORITY);
    expect(gate?.condition.resourceTypes).toEqual(['main_frame', 'sub_frame']);
  });

  it('enforces safe search on the four engines', () => {
    const text = JSON.stringify(safeSearchRules());
    for (const needle of ['safe', 'adlt', 'kp', 'YouTube-Restrict', 'google.com', 'bing.com'])
      expect(text).toContain(needle);
    const ids = safeSearchRules().map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
