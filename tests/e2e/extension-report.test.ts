/**
 * Reports from the extension, all real: a `kalkan intake` on a free port, the built extension
 * in Debian's Chromium. A report made before any destination is set waits on the device; the
 * parent sets the destination in the options (behind the PIN) and it arrives; a report from the
 * block page shows only the host but carries the full blocked URL; with the intake down a report
 * stays queued across a stopped service worker and arrives exactly once when the intake is back.
 * An analyst sees the reports in the triage page.
 */
import { readFileSync } from 'node:fs';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ANALYST,
  analystCode,
  exportCsv,
  type IntakeFixture,
  intakeFixture,
  signIn,
  storedCount,
} from '../helpers/intake.js';
import {
  askWorker,
  type ChromeApi,
  ensureExtensionBuilt,
  extensionId,
  launch,
  serviceWorker,
  setFirstPin,
  sleep,
  TestServers,
  visit,
} from './extension-harness.js';

const PIN = '1357';
const POPUP_URL = 'http://page.kalkan-e2e.test/forum/thread?id=7';
const BLOCKED_URL = 'http://deep.abuse-demo.test/gallery/42?ref=chat';
const DOWN_URL = 'http://later.kalkan-e2e.test/while-down';
const DRAFT_URL = 'http://draft.kalkan-e2e.test/never-sealed';
const DAY_MS = 24 * 3_600_000;
const servers = new TestServers();
/** How long a polled check may take: a real browser and intake on two shared cores. */
const POLL = { timeout: 10_000, interval: 200 };
let intake: IntakeFixture;
let ctx: BrowserContext;
let close: () => Promise<void>;
let id: string;

beforeAll(async () => {
  ensureExtensionBuilt();
  await servers.start();
  intake = await intakeFixture();
  await intake.start();
  ({ ctx, close } = await launch(servers));
  id = extensionId(await serviceWorker(ctx));
  // This parent starts with no destination at all: they clear the one built into the package
  // (extension-guard.test.ts shows a report sealed to it at once).
  await setFirstPin(ctx, PIN);
  expect((await setDestination('', '')).ok).toBe(true);
});

function setDestination(reportDestination: string, reportUnitKey: string) {
  return askWorker(ctx, id, {
    type: 'save-settings',
    pin: PIN,
    settings: {
      categories: { adult: true },
      subscriptions: [],
      reportDestination,
      reportUnitKey,
      language: 'auto',
      helplineNumber: '111',
      helplineName: '',
    },
  });
}

afterAll(async () => {
  await close?.();
  await intake?.server?.stop();
  servers.stop();
});

const ask = (request: Record<string, unknown>) => askWorker(ctx, id, request);

interface Overview {
  configured: boolean;
  waiting: number;
  entries: { id: string; state: string; attempts: number }[];
}
const overview = async () => (await ask({ type: 'reports' })) as unknown as Overview;

/** Opens the popup for the tab showing `url` and clicks "Report this page". */
async function reportFromPopup(url: string): Promise<Page> {
  const page = await visit(ctx, url);
  const worker = await serviceWorker(ctx);
  // Found by URL in every tab (a match pattern would not match the query string); polled, as
  // the tab shows its URL only once the navigation has committed.
  const findTab = () =>
    worker.evaluate(
      async (u) =>
        (
          await (
            globalThis as unknown as {
              chrome: { tabs: { query(q: object): Promise<{ id: number; url?: string }[]> } };
            }
          ).chrome.tabs.query({})
        ).find((t) => t.url === u)?.id,
      url,
    );
  await expect.poll(findTab, POLL).toBeTypeOf('number');
  const tabId = await findTab();
  const popup = await ctx.newPage();
  await popup.goto(`chrome-extension://${id}/pages/popup.html?tab=${tabId}`);
  const [form] = await Promise.all([ctx.waitForEvent('page'), popup.click('#report')]);
  await form.locator('#url').filter({ hasText: /./ }).waitFor();
  await page.close();
  return form;
}

async function fillAndSend(form: Page, note: string): Promise<string> {
  await form.selectOption('#category', 'csem');
  await form.selectOption('#where', 'chat');
  await form.fill('#note', note);
  await form.click('button[type=submit]');
  await form.locator('#result').filter({ hasText: /./ }).waitFor();
  return (await form.locator('#result').textContent()) ?? '';
}

async function exportedUrls(): Promise<string[]> {
  const run = await exportCsv(intake);
  expect(run.code, run.stderr).toBe(0);
  return run.stdout
    .split('\n')
    .filter((line) => line.includes('http://'))
    .map((line) => /http:\/\/[^,"]+/.exec(line)?.[0] ?? '');
}

describe('reports from the extension', () => {
  it('keeps a popup report on the device while no destination is set', async () => {
    const form = await reportFromPopup(POPUP_URL);
    expect(await form.locator('#url').textContent()).toBe(POPUP_URL);
    await form.locator('#no-destination').waitFor({ state: 'visible' });
    expect(await form.locator('body').textContent()).toContain('Never download, screenshot');
    const result = await fillAndSend(form, 'seen in a group chat');
    expect(result).toContain('Saved on this device only');
    await form.close();
    expect(await overview()).toMatchObject({ configured: false, waiting: 1, entries: [] });
    expect(await storedCount(intake)).toBe(0);
  });

  it('sends it once the parent sets the destination in the options, behind the PIN', async () => {
    const options = await ctx.newPage();
    await options.goto(`chrome-extension://${id}/pages/options.html`);
    await options.fill('#gate-pin', PIN);
    await options.click('#gate button[type=submit]');
    await options.locator('#settings').waitFor({ state: 'visible' });
    await options.fill('#destination', intake.url);
    await options.fill('#unit-key', 'kalkan-x25519-public not-a-key');
    await options.click('#save');
    await expect
      .poll(() => options.locator('#result').textContent(), POLL)
      .toContain('kalkan-x25519');
    await options.fill('#unit-key', readFileSync(intake.pubPath, 'utf8').trim());
    await options.click('#save');
    await expect.poll(() => options.locator('#result').getAttribute('class'), POLL).toBe('ok');
    await options.close();
    await expect.poll(() => storedCount(intake), { timeout: 10_000 }).toBe(1);
    const after = await overview();
    expect(after).toMatchObject({ configured: true, waiting: 0 });
    expect(after.entries.map((e) => e.state)).toEqual(['delivered']);
  });

  it('reports from the block page: only the host shown, the full blocked URL sent', async () => {
    const page = await visit(ctx, BLOCKED_URL);
    await expect
      .poll(() => page.url().startsWith(`chrome-extension://${id}/pages/block.html`), POLL)
      .toBe(true);
    await page.locator('#host').filter({ hasText: /./ }).waitFor();
    await page.click('#report');
    await page.waitForURL(/report\.html/);
    await page.locator('#url').filter({ hasText: /./ }).waitFor();
    expect(await page.locator('#url').textContent()).toBe('deep.abuse-demo.test');
    expect(await page.locator('body').textContent()).not.toContain('/gallery');
    expect(await page.locator('#no-destination').isVisible()).toBe(false);
    expect(await fillAndSend(page, '')).toContain('sealed');
    await expect.poll(() => storedCount(intake), { timeout: 10_000 }).toBe(2);
    expect(await exportedUrls()).toEqual(expect.arrayContaining([POPUP_URL, BLOCKED_URL]));
    await page.close();
  });

  it('keeps a report queued while the intake is down, across a stopped worker, and delivers it once', async () => {
    await intake.server?.stop();
    const form = await reportFromPopup(DOWN_URL);
    await fillAndSend(form, '');
    await form.close();
    await expect
      .poll(
        async () => (await overview()).entries.find((e) => e.state === 'queued')?.attempts,
        POLL,
      )
      .toBeGreaterThanOrEqual(1);
    const page = await ctx.newPage();
    const cdp = await ctx.newCDPSession(page);
    await cdp.send('ServiceWorker.enable');
    await cdp.send('ServiceWorker.stopAllWorkers');
    await page.close();
    await intake.start();
    // The alarm wakes the worker at the report's next attempt (backoff ≤ 5 s for the first retry).
    await expect.poll(() => storedCount(intake), { timeout: 20_000, interval: 250 }).toBe(3);
    await sleep(1_500);
    expect(await storedCount(intake)).toBe(3);
    const urls = await exportedUrls();
    expect(urls.filter((u) => u === DOWN_URL)).toHaveLength(1);
    expect((await overview()).entries.map((e) => e.state)).toEqual([
      'delivered',
      'delivered',
      'delivered',
    ]);
  });

  it('an analyst sees the reports in the triage page', async () => {
    const page = await ctx.newPage();
    await signIn(page, intake, ANALYST, analystCode(intake));
    for (const url of [POPUP_URL, BLOCKED_URL, DOWN_URL])
      await page.locator(`tr.report-group[data-url="${url}"]`).waitFor({ timeout: 5_000 });
    await page.close();
  });

  it('lists the delivered reports in the popup', async () => {
    const popup = await ctx.newPage();
    await popup.goto(`chrome-extension://${id}/pages/popup.html`);
    await expect
      .poll(() => popup.locator('#report-list li[data-state=delivered]').count(), POLL)
      .toBe(3);
    expect(await popup.locator('#reports').isVisible()).toBe(true);
    await popup.close();
  });
});

describe('a draft with no destination', () => {
  /** The extension's whole `storage.local`, as the worker sees it. */
  const stored = async () =>
    (await serviceWorker(ctx)).evaluate(() =>
      (globalThis as unknown as { chrome: ChromeApi }).chrome.storage.local.get(null),
    );
  const alarm = async () =>
    (await serviceWorker(ctx)).evaluate(
      async () =>
        (await (globalThis as unknown as { chrome: ChromeApi }).chrome.alarms.get('kalkan-reports'))
          ?.scheduledTime,
    );

  it('is discarded a day after it was taken, never kept in plain text for longer', async () => {
    expect((await setDestination('', '')).ok).toBe(true);
    const form = await reportFromPopup(DRAFT_URL);
    expect(await fillAndSend(form, '')).toContain('Saved on this device only');
    await form.close();
    const drafts = async () => (await stored()).reportDrafts as { keptAt: number }[];
    const [kept] = await drafts();
    expect(kept?.keptAt).toBeTypeOf('number');
    // Kept while the day lasts (the positive control), with the worker's alarm set for its end.
    await ask({ type: 'deliver-reports' });
    expect(await drafts()).toHaveLength(1);
    expect(await alarm()).toBeLessThanOrEqual((kept?.keptAt ?? 0) + DAY_MS);
    expect(JSON.stringify(await stored())).toContain(DRAFT_URL);
    // A day later (the stored time moved back): the worker's pass discards it.
    await (await serviceWorker(ctx)).evaluate(
      async (keptAt) => {
        const local = (globalThis as unknown as { chrome: ChromeApi }).chrome.storage.local;
        const list = ((await local.get(null)).reportDrafts ?? []) as object[];
        await local.set({ reportDrafts: list.map((d) => ({ ...d, keptAt })) });
      },
      (kept?.keptAt ?? 0) - DAY_MS,
    );
    await ask({ type: 'deliver-reports' });
    expect(await drafts()).toEqual([]);
    expect(JSON.stringify(await stored())).not.toContain('draft.kalkan-e2e.test');
    expect(await overview()).toMatchObject({ configured: false, waiting: 0 });
  });
});
