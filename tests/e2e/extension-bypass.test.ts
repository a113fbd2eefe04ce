/**
 * The extension's bypass ruleset in Debian's Chromium: a page's requests to public DoH
 * resolvers never leave the browser, while a request to any
 * other host does (the positive control). Every host is mapped to the loopback test server, so
 * a request that was not blocked would show up there.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureExtensionBuilt, launch, TestServers, visit } from './extension-harness.js';

const servers = new TestServers();
let ctx: BrowserContext;
let close: () => Promise<void>;

beforeAll(async () => {
  ensureExtensionBuilt();
  await servers.start();
  ({ ctx, close } = await launch(servers));
}, 300_000);

afterAll(async () => {
  await close?.();
  servers.stop();
});

/** A page that loaded (the install gate holds pages until the worker has its lists). */
async function loadedPage(): Promise<Page> {
  let page: Page | undefined;
  await expect
    .poll(
      async () => {
        await page?.close();
        page = await visit(ctx, 'http://bypass-probe.test/?tag=bypass');
        return page.locator('#loaded').isVisible();
      },
      { timeout: 20_000 },
    )
    .toBe(true);
  return page as Page;
}

/** fetch() from the page; no-cors, so an unblocked request resolves whatever the server says. */
const fetchFrom = (page: Page, url: string) =>
  page.evaluate(
    (u) =>
      fetch(u, { mode: 'no-cors' }).then(
        () => 'sent',
        () => 'failed',
      ),
    url,
  );

describe('bypass ruleset', () => {
  it('blocks a page’s requests to public DoH resolvers; other hosts are reached', async () => {
    const page = await loadedPage();
    expect(await fetchFrom(page, 'http://unlisted-resolver.test/dns-query?dns=AAABAAAB')).toBe(
      'sent',
    );
    expect(servers.requests('unlisted-resolver.test')).toHaveLength(1);
    // Names Chromium does not upgrade to https by HSTS preload (dns.google, cloudflare-dns.com,
    // icloud.com are preloaded, so they fail here with or without the ruleset).
    for (const url of [
      'http://dns.nextdns.io/dns-query?dns=AAABAAAB',
      'http://doh.opendns.com/dns-query?dns=AAABAAAB',
      'http://dns.adguard-dns.com/dns-query?dns=AAABAAAB',
      'http://doh.cleanbrowsing.org/doh/family-filter/',
    ]) {
      expect(await fetchFrom(page, url), url).toBe('failed');
      expect(servers.requests(new URL(url).hostname), url).toHaveLength(0);
    }
  });
});
