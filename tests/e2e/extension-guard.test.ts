/**
 * What a child might try against the extension in Debian's Chromium: unlocking a host the tab
 * was never blocked from (a typed block-page URL), an unlock spilling over to other tabs or
 * hosts, setting the first PIN from a page other than the onboarding the extension opened, and
 * guessing the PIN in parallel and across a browser restart.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBundle, expressionsOf } from '../../blocklists/bundle/build.js';
import { decodeSecretKey } from '../../blocklists/keys.js';
import { parseSource } from '../../blocklists/sources/parse.js';
import { hashPin, pinHashText } from '../../extension/background/pin.js';
import { FREE_FAILURES } from '../../extension/background/pin-backoff.js';
import { DEMO_INTAKE_URL, DEMO_UNIT_PUB } from '../../extension/build/generate.js';
import {
  allowIncognito,
  askWorker,
  CHROME_DIR,
  type ChromeApi,
  ensureExtensionBuilt,
  extensionId,
  extensionPolicy,
  launch,
  ownOnboarding,
  ROOT,
  serviceWorker,
  setFirstPin,
  TestServers,
  visit,
} from './extension-harness.js';

const PIN = '8642';
const servers = new TestServers();
/** Kept across a browser restart; removed at the end. */
const profile = mkdtempSync(join(tmpdir(), 'kalkan-guard-'));
let ctx: BrowserContext;
let close: () => Promise<void>;
let id: string;

beforeAll(async () => {
  ensureExtensionBuilt();
  await servers.start();
  ({ ctx, close } = await launch(servers, CHROME_DIR, { profile }));
  id = extensionId(await serviceWorker(ctx));
});

afterAll(async () => {
  await close?.();
  servers.stop();
  rmSync(profile, { recursive: true, force: true });
});

type WorkerGlobal = { chrome: { action: { getBadgeText(d: object): Promise<string> } } };
const badge = async () =>
  (await serviceWorker(ctx)).evaluate(() =>
    (globalThis as unknown as WorkerGlobal).chrome.action.getBadgeText({}),
  );

const ask = (request: Record<string, unknown>) => askWorker(ctx, id, request);

async function waitForBlockPage(page: Page): Promise<void> {
  const onBlockPage = () => page.url().startsWith(`chrome-extension://${id}/pages/block.html`);
  await expect.poll(onBlockPage, { timeout: 5_000 }).toBe(true);
  await page.locator('#host').filter({ hasText: /./ }).waitFor({ timeout: 5_000 });
}

const onboarding = () => ownOnboarding(ctx);

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

async function submitPin(page: Page, pin: string): Promise<void> {
  await page.locator('#pin-save:enabled').waitFor();
  await page.fill('#pin', pin);
  await page.fill('#pin2', pin);
  await page.click('#pin-save');
}

describe('the parent PIN', () => {
  it('says loudly that none is set, and takes the first one from no other page', async () => {
    await onboarding();
    await expect.poll(badge).toBe('!');
    const popup = await ctx.newPage();
    await popup.goto(`chrome-extension://${id}/pages/popup.html`);
    await popup.locator('#no-pin').waitFor({ state: 'visible' });
    // Not allowed in incognito yet: the popup tells the parent how to allow it.
    await popup.locator('#incognito').waitFor({ state: 'visible' });
    await popup.close();
    // From a page of the extension's own, and from an onboarding page the child opened.
    expect(await ask({ type: 'set-pin', pin: '0000' })).toMatchObject({
      ok: false,
      error: 'not-onboarding',
    });
    const typed = await ctx.newPage();
    await typed.goto(`chrome-extension://${id}/pages/onboarding.html`);
    await submitPin(typed, '1111');
    await typed.locator('#result.error').waitFor();
    await typed.close();
    expect((await ask({ type: 'status' })).pinSet).toBe(false);
  });

  it('is set on the onboarding page the extension opened', async () => {
    await setFirstPin(ctx, PIN);
    expect((await ask({ type: 'status' })).pinSet).toBe(true);
    await expect.poll(badge).toBe('');
  });
});

describe('reports on a fresh install', () => {
  it('are sealed at once to the destination built into the package', async () => {
    const status = await ask({ type: 'status' });
    expect(status.settings).toMatchObject({
      reportDestination: DEMO_INTAKE_URL,
      reportUnitKey: readFileSync(join(ROOT, DEMO_UNIT_PUB), 'utf8').trim(),
    });
    const form = await ctx.newPage();
    await form.goto(
      `chrome-extension://${id}/pages/report.html?${new URLSearchParams({ u: 'http://page.kalkan-e2e.test/x', via: 'popup' })}`,
    );
    await form.locator('#url').filter({ hasText: /./ }).waitFor();
    expect(await form.locator('#no-destination').isVisible()).toBe(false);
    await form.selectOption('#category', 'other');
    await form.click('button[type=submit]');
    // Sealed and queued, not kept as a plaintext draft.
    await form.locator('#result.ok').waitFor({ timeout: 10_000 });
    await form.close();
    const reports = (await ask({ type: 'reports' })) as unknown as {
      configured: boolean;
      waiting: number;
      entries: unknown[];
    };
    expect(reports).toMatchObject({ configured: true, waiting: 0 });
    expect(reports.entries).toHaveLength(1);
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

describe('unlock never a public suffix', () => {
  it('refuses, in the worker, a forged unlock of a public suffix the tab was really blocked from', async () => {
    // A parent's subscribed adult list that (wrongly) lists a public suffix: its navigation is
    // really blocked, so the worker's record of the tab names `co.uk`.
    const secretKey = decodeSecretKey(
      readFileSync(join(ROOT, 'blocklists/demo/demo-publisher.key'), 'utf8'),
      'demo key',
    );
    servers.list = await buildBundle(expressionsOf(parseSource('co.uk\n', 'suffix.txt').entries), {
      meta: {
        id: 'e2e-suffix',
        name: 'E2E adult list with a public suffix',
        category: 'adult',
        sequence: 1,
        created: '2026-01-01T00:00:00.000Z',
        expires: '2036-01-01T00:00:00.000Z',
        licence: 'test',
      },
      secretKey,
      plaintext: true,
    });
    servers.listEtag = '"suffix"';
    const publicKey = readFileSync(join(ROOT, 'blocklists/demo/demo-publisher.pub'), 'utf8').trim();
    const { settings } = (await ask({ type: 'status' })) as unknown as { settings: object };
    const saved = await ask({
      type: 'save-settings',
      pin: PIN,
      settings: {
        ...settings,
        subscriptions: [{ url: 'http://lists.kalkan-e2e.test/list.klb', publicKey }],
      },
    });
    expect(saved).toMatchObject({ ok: true });
    await ask({ type: 'update-now' });

    const page = await visit(ctx, 'http://co.uk/?tag=suffix');
    await waitForBlockPage(page);
    expect(await page.locator('#host').textContent()).toBe('co.uk');
    // The page offers no unlock; a message sent from it anyway, with the right PIN, is refused.
    expect(await page.locator('#unlock').isVisible()).toBe(false);
    const reply = await page.evaluate(
      (pin) =>
        (globalThis as unknown as { chrome: ChromeApi }).chrome.runtime.sendMessage({
          type: 'unlock',
          pin,
          minutes: 15,
        }),
      PIN,
    );
    expect(reply).toMatchObject({ ok: false, error: 'not-allowed' });
    const allows = (await sessionRules()).filter((r) => r.action.type === 'allow');
    expect(allows.map((r) => r.condition.requestDomains)).not.toContainEqual(['co.uk']);
    await page.close();
    expect(servers.beacons('suffix')).toBe(0);
  });
});

describe('guessing the PIN', () => {
  it('checks 40 parallel guesses one at a time, and a browser restart keeps the lock-out', async () => {
    const page = await ctx.newPage();
    await page.goto(`chrome-extension://${id}/pages/popup.html`);
    const replies = (await page.evaluate(
      (n) =>
        Promise.all(
          Array.from({ length: n }, (_, i) =>
            (globalThis as unknown as { chrome: ChromeApi }).chrome.runtime.sendMessage({
              type: 'verify-pin',
              pin: String(1000 + i),
            }),
          ),
        ),
      40,
    )) as { ok: boolean; error?: string }[];
    await page.close();
    const errors = replies.map((r) => r.error);
    expect(errors.filter((e) => e === 'wrong')).toHaveLength(FREE_FAILURES);
    expect(errors.filter((e) => e === 'wait')).toHaveLength(40 - FREE_FAILURES);

    await close();
    // The parent also ticks "Allow in Incognito" while the browser is closed.
    allowIncognito(profile);
    ({ ctx, close } = await launch(servers, CHROME_DIR, { profile }));
    id = extensionId(await serviceWorker(ctx));
    // Even the right PIN waits out the lock-out.
    expect(await ask({ type: 'verify-pin', pin: PIN })).toMatchObject({ ok: false, error: 'wait' });
  });

  it('stops warning about incognito once it is allowed', async () => {
    for (const page of ['popup', 'options']) {
      const p = await ctx.newPage();
      await p.goto(`chrome-extension://${id}/pages/${page}.html`);
      // Waits for the page to have asked the worker (its language is applied then).
      await expect.poll(() => p.evaluate(() => document.documentElement.lang)).toBe('en');
      await p.waitForTimeout(300);
      expect(await p.locator('#incognito').isVisible()).toBe(false);
      await p.close();
    }
  });
});

describe('a PIN and unlocks set by policy', () => {
  const SCHOOL_PIN = '97531';
  let school: Awaited<ReturnType<typeof launch>>;
  let schoolId: string;
  const askSchool = (request: Record<string, unknown>) => askWorker(school.ctx, schoolId, request);

  beforeAll(async () => {
    const pinHash = pinHashText(await hashPin(SCHOOL_PIN));
    school = await launch(servers, CHROME_DIR, {
      policy: extensionPolicy(CHROME_DIR, { pinHash, unlocks: false, lock: true }),
    });
    schoolId = extensionId(await serviceWorker(school.ctx));
  });

  afterAll(async () => {
    await school?.close();
  });

  it('takes the policy PIN, sets no other, and unlocks nothing', async () => {
    const status = await askSchool({ type: 'status' });
    expect(status).toMatchObject({ pinSet: true, ownPinAllowed: false });
    expect(await askSchool({ type: 'verify-pin', pin: SCHOOL_PIN })).toMatchObject({ ok: true });
    expect(await askSchool({ type: 'verify-pin', pin: '1234' })).toMatchObject({
      ok: false,
      error: 'wrong',
    });
    expect(await askSchool({ type: 'set-pin', pin: '2222', currentPin: SCHOOL_PIN })).toMatchObject(
      { ok: false, error: 'locked' },
    );
    // No onboarding tab was opened for a student to find.
    expect(school.ctx.pages().some((p) => p.url().includes('onboarding.html'))).toBe(false);

    const page = await visit(school.ctx, 'http://adult.kalkan.test/?tag=school');
    await expect
      .poll(() => page.url().includes('/pages/block.html'), { timeout: 5_000 })
      .toBe(true);
    await page.locator('#host').filter({ hasText: /./ }).waitFor();
    expect(await page.locator('#unlock').isVisible()).toBe(false);
    const reply = await page.evaluate(
      (pin) =>
        (globalThis as unknown as { chrome: ChromeApi }).chrome.runtime.sendMessage({
          type: 'unlock',
          pin,
          minutes: 15,
        }),
      SCHOOL_PIN,
    );
    expect(reply).toMatchObject({ ok: false, error: 'unlocks-off' });
    await page.close();
  });
});
