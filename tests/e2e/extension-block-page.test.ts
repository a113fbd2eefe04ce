/**
 * The block page a child or an adult lands on, in Debian's Chromium, in English, Russian and
 * Kyrgyz: "you are not in trouble", "tell a trusted adult", the children's helpline and a button
 * that closes the tab; on an abuse block, the deterrence message for an adult; school wording,
 * helpline, confidential help and appeal contact from policy; nothing rendered inside a frame;
 * the report form choosing no category and offering only fitting ones from an adult block.
 * With KALKAN_SCREENSHOTS=<dir> it saves a screenshot per category and locale there
 * (docs/images holds the ones docs/extension.md shows).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateUnitKeyPair } from '../../reporting/keygen.js';
import { encodeUnitPublicKey } from '../../reporting/keys.js';
import {
  askWorker,
  CHROME_DIR,
  ensureExtensionBuilt,
  extensionId,
  extensionPolicy,
  launch,
  ROOT,
  serviceWorker,
  setFirstPin,
  TestServers,
  visit,
} from './extension-harness.js';

const PIN = '5173';
const LOCALES = ['en', 'ru', 'ky'] as const;
const SHOTS = process.env.KALKAN_SCREENSHOTS;
const servers = new TestServers();
let ctx: BrowserContext;
let close: () => Promise<void>;
let id: string;

const messages = (locale: string) =>
  JSON.parse(
    readFileSync(join(ROOT, `extension/_locales/${locale}/messages.json`), 'utf8'),
  ) as Record<string, { message: string }>;
const text = (locale: string, key: string, ...subs: string[]) =>
  (messages(locale)[key]?.message ?? key).replace(/\$(\d)/g, (_, n) => subs[Number(n) - 1] ?? '');

beforeAll(async () => {
  ensureExtensionBuilt();
  await servers.start();
  ({ ctx, close } = await launch(servers));
  id = extensionId(await serviceWorker(ctx));
  await setFirstPin(ctx, PIN);
});

afterAll(async () => {
  await close?.();
  servers.stop();
});

/** What a person sees: hidden sections (another audience's text) do not count. */
function visibleText(page: Page, selector: string): Promise<string> {
  // biome-ignore lint/performance/useDomNodeTextContent: the rendered text is what is asserted
  return page.locator(selector).innerText();
}

async function blockPageFor(context: BrowserContext, url: string): Promise<Page> {
  const page = await visit(context, url);
  await expect.poll(() => page.url().includes('/pages/block.html'), { timeout: 5_000 }).toBe(true);
  await page.locator('#host').filter({ hasText: /./ }).waitFor({ timeout: 5_000 });
  return page;
}

const setLanguage = async (language: string) => {
  const reply = await askWorker(ctx, id, {
    type: 'save-settings',
    pin: PIN,
    settings: {
      categories: { adult: true },
      subscriptions: [],
      reportDestination: '',
      reportUnitKey: '',
      language,
      helplineNumber: '111',
      helplineName: '',
    },
  });
  expect(reply.ok).toBe(true);
};

describe('the block page, per category and locale', () => {
  for (const locale of LOCALES) {
    it(`helps a child and deters an adult (${locale})`, async () => {
      await setLanguage(locale);
      const abuse = await blockPageFor(ctx, `http://${locale}.abuse-demo.test/?tag=bp-${locale}`);
      expect(await abuse.getAttribute('html', 'lang')).toBe(locale);
      const body = await visibleText(abuse, 'main');
      for (const key of [
        'blockNotInTrouble',
        'blockTellAdult',
        'blockDeterCrime',
        'blockDeterTraced',
      ])
        expect(body).toContain(text(locale, key));
      expect(body).toContain(text(locale, 'blockHelpline', '111'));
      expect(await abuse.locator('#unlock').isVisible()).toBe(false);
      if (SHOTS)
        await abuse.screenshot({ path: join(SHOTS, `block-abuse-${locale}.png`), fullPage: true });

      const adult = await blockPageFor(ctx, `http://${locale}.adult-demo.test/?tag=bpa-${locale}`);
      const adultBody = await visibleText(adult, 'main');
      expect(adultBody).toContain(text(locale, 'blockNotInTrouble'));
      expect(adultBody).toContain(text(locale, 'blockHelpline', '111'));
      expect(adultBody).not.toContain(text(locale, 'blockDeterCrime'));
      expect(await visibleText(adult, '#unlock h2')).toBe(text(locale, 'askParent'));
      if (SHOTS)
        await adult.screenshot({ path: join(SHOTS, `block-adult-${locale}.png`), fullPage: true });

      // "Close this tab" closes it.
      // The click may return after the tab is gone: the close event is what is asserted.
      const closed = adult.waitForEvent('close');
      await adult.click('#close').catch(() => undefined);
      await closed;
      await abuse.close();
    });
  }
});

describe('the report form from a block page', () => {
  it('chooses no category, and an adult block offers only fitting ones', async () => {
    await setLanguage('en');
    const adult = await blockPageFor(ctx, 'http://report.adult-demo.test/');
    await adult.click('#report');
    await adult.waitForURL(/report\.html/);
    await adult.locator('#category option').first().waitFor({ state: 'attached' });
    expect(await adult.locator('#category').inputValue()).toBe('');
    const offered = await adult
      .locator('#category option')
      .evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
    expect(offered).toEqual(['', 'csam_suspected', 'trafficking', 'other']);
    await adult.close();
    const abuse = await blockPageFor(ctx, 'http://report.abuse-demo.test/');
    await abuse.click('#report');
    await abuse.waitForURL(/report\.html/);
    expect(await abuse.locator('#category').inputValue()).toBe('');
    expect(await abuse.locator('#category option').count()).toBe(6);
    await abuse.close();
  });
});

describe('inside a frame', () => {
  it('renders nothing when another site frames the block page', async () => {
    const src = `chrome-extension://${id}/pages/block.html?c=adult&h=framed.test`;
    // Positive control: the same page loads in a tab of its own.
    const own = await ctx.newPage();
    await own.goto(src);
    await own.locator('#host').filter({ hasText: 'framed.test' }).waitFor();
    await own.close();
    const page = await visit(ctx, `http://framer.test/frame?src=${encodeURIComponent(src)}`);
    await page.locator('#loaded').waitFor();
    await page.locator('#f').waitFor();
    // Whatever the frame holds (the page, hidden; or the browser's refusal), no block page shows.
    await page.waitForTimeout(1_000);
    const frame = page.frames().find((f) => f !== page.mainFrame());
    const shown = frame
      ? await frame
          .evaluate(() => document.querySelector('#host')?.textContent ?? '')
          .catch(() => '')
      : '';
    expect(shown).toBe('');
    const visible = frame
      ? await frame
          .locator('main')
          .isVisible()
          .catch(() => false)
      : false;
    expect(visible).toBe(false);
    await page.close();
  });
});

describe('in school mode, by policy', () => {
  let school: Awaited<ReturnType<typeof launch>>;

  beforeAll(async () => {
    school = await launch(servers, CHROME_DIR, {
      policy: extensionPolicy(CHROME_DIR, {
        audience: 'school',
        helplineNumber: '150',
        helplineName: 'Test Line',
        confidentialHelp: 'https://help.kalkan.example/',
        appealContact: 'appeal@kalkan.example',
        // A destination nobody listens on: reports stay queued, which is all the popup needs.
        reportDestination: 'http://127.0.0.1:9/',
        reportUnitKey: encodeUnitPublicKey((await generateUnitKeyPair()).publicKey),
      }),
    });
    await serviceWorker(school.ctx);
  });

  afterAll(async () => {
    await school?.close();
  });

  it('says "ask your teacher" and shows the policy helpline, help and appeal contact', async () => {
    const adult = await blockPageFor(school.ctx, 'http://school.adult-demo.test/');
    const body = await visibleText(adult, 'main');
    expect(body).toContain(text('en', 'blockTellTeacher'));
    expect(body).toContain(text('en', 'blockHelplineNamed', 'Test Line', '150'));
    expect(body).toContain('appeal@kalkan.example');
    expect(await visibleText(adult, '#unlock h2')).toBe(text('en', 'askTeacher'));
    if (SHOTS)
      await adult.screenshot({ path: join(SHOTS, 'block-adult-school-en.png'), fullPage: true });
    const abuse = await blockPageFor(school.ctx, 'http://school.abuse-demo.test/');
    expect(await visibleText(abuse, 'main')).toContain(
      text('en', 'blockConfidentialHelp', 'https://help.kalkan.example/'),
    );
    if (SHOTS)
      await abuse.screenshot({ path: join(SHOTS, 'block-abuse-school-en.png'), fullPage: true });
  });

  it('lists report counts in the popup, never their categories', async () => {
    const page = await blockPageFor(school.ctx, 'http://counted.abuse-demo.test/');
    await page.click('#report');
    await page.waitForURL(/report\.html/);
    await page.selectOption('#category', 'grooming');
    await page.click('button[type=submit]');
    await page.locator('#result.ok').waitFor({ timeout: 10_000 });
    const id = new URL(page.url()).host;
    const popup = await school.ctx.newPage();
    await popup.goto(`chrome-extension://${id}/pages/popup.html`);
    await popup.locator('#report-list li').first().waitFor();
    const lines = await visibleText(popup, '#report-list');
    expect(lines).toMatch(/1/);
    expect(lines).not.toContain(text('en', 'reportCatGrooming'));
    await popup.close();
    await page.close();
  });
});
