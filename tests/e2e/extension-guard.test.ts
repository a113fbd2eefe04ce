/**
 * What a child might try against the extension in Debian's Chromium: unlocking a host the tab
 * was never blocked from (a typed block-page URL), an unlock spilling over to other tabs or
 * hosts, setting the first PIN from a page other than the onboarding the extension opened, and
 * guessing the PIN in parallel and across a browser restart.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  askWorker,
  type ChromeApi,
  ensureExtensionBuilt,
  extensionId,
  launch,
  serviceWorker,
  TestServers,
  visit,
} from './extension-harness.js';

const PIN = '8642';
const servers = new TestServers();
let ctx: BrowserContext;
let close: () => Promise<void>;
let id: string;

beforeAll(async () => {
  ensureExtensionBuilt();
  await servers.start();
  ({ ctx, close } = await launch(servers));
  id = extensionId(await serviceWorker(ctx));
});

afterAll(async () => {
  await close?.();
  servers.stop();
});

const ask = (request: Record<string, unknown>) => askWorker(ctx, id, request);

async function waitForBlockPage(page: Page): Promise<void> {
  const onBlockPage = () => page.url().startsWith(`chrome-extension://${id}/pages/block.html`);
  await expect.poll(onBlockPage, { timeout: 5_000 }).toBe(true);
  await page.locator('#host').filter({ hasText: /./ }).waitFor({ timeout: 5_000 });
}

async function onboarding(): Promise<Page> {
  const page =
    ctx.pages().find((p) => p.url().includes('/pages/onboarding.html')) ??
    (await ctx.waitForEvent('page', (p) => p.url().includes('/pages/onboarding.html')));
  await page.waitForLoadState('domcontentloaded');
  return page;
}

/** The session rules, read in an extension page. */
async function sessionRules() {
  const page = await ctx.newPage();
  await page.goto(`chrome-extension://${id}/pages/popup.html`);
  const rules = (await page.evaluate(() =>
    (globalThis as unknown as { chrome: ChromeApi }).chrome.declarativeNetRequest.getSessionRules(),
  )) as { id: number; action: { type: string }; condition: Record<string, unknown> }[];
  await page.close();
  return rules;
}

describe('the parent PIN', () => {
  it('is set on the onboarding page the extension opened', async () => {
    const page = await onboarding();
    await page.fill('#pin', PIN);
    await page.fill('#pin2', PIN);
    await page.click('button[type=submit]');
    await page.locator('#result.ok').waitFor({ timeout: 10_000 });
    expect((await ask({ type: 'status' })).pinSet).toBe(true);
  });
});

describe('unlock only what was blocked', () => {
  it('refuses to unlock a host named only in a typed block-page URL', async () => {
    const page = await ctx.newPage();
    await page.goto(`chrome-extension://${id}/pages/block.html?c=adult&h=test`);
    await page.locator('#host').filter({ hasText: /./ }).waitFor();
    // The page offers no unlock for a public suffix; asked directly, the worker refuses too.
    expect(await page.locator('#unlock').isVisible()).toBe(false);
    const reply = await page.evaluate(
      (pin) =>
        (globalThis as unknown as { chrome: ChromeApi }).chrome.runtime.sendMessage({
          type: 'unlock',
          pin,
          host: 'test',
          minutes: 15,
        }),
      PIN,
    );
    expect(reply).toMatchObject({ ok: false, error: 'nothing-blocked' });
    const rules = await sessionRules();
    expect(rules.filter((r) => r.action.type === 'allow')).toEqual([]);
    await page.close();
  });

  it('unlocks the blocked host in its own tab only, and nothing else', async () => {
    const page = await visit(ctx, 'http://adult.kalkan.test/?tag=unlock');
    await waitForBlockPage(page);
    const tabId = await page.evaluate(async () => {
      const chrome = (
        globalThis as unknown as { chrome: { tabs: { getCurrent(): Promise<{ id: number }> } } }
      ).chrome;
      return (await chrome.tabs.getCurrent()).id;
    });
    await page.fill('#pin', PIN);
    await page.click('#unlock-go');
    await page.waitForURL('http://adult.kalkan.test/', { timeout: 10_000 });
    await page.locator('#loaded').waitFor();

    const allows = (await sessionRules()).filter((r) => r.action.type === 'allow');
    expect(allows).toHaveLength(1);
    expect(allows[0]?.condition.requestDomains).toEqual(['adult.kalkan.test']);
    expect(allows[0]?.condition.tabIds).toEqual([tabId]);

    // Another tab: still blocked. The same tab, another adult host: still blocked.
    const other = await visit(ctx, 'http://adult.kalkan.test/?tag=other-tab');
    await waitForBlockPage(other);
    await other.close();
    await page.goto('http://adult-demo.test/?tag=other-host').catch(() => undefined);
    await waitForBlockPage(page);
    // Positive control: the unlocked host's script runs in its tab, and its beacon arrives.
    await page.goto('http://adult.kalkan.test/?tag=unlocked');
    await expect.poll(() => servers.beacons('unlocked'), { timeout: 5_000 }).toBeGreaterThan(0);
    await page.close();
    expect(servers.beacons('other-tab') + servers.beacons('other-host')).toBe(0);
  });
});
