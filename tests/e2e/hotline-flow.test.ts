/**
 * The hotline's whole chain in Chromium (issue 15's proof), all real and on loopback: the built
 * extension reports a blocked page from its block page to a built `kalkan intake serve` that
 * traces through a local DNS server, a test MMDB and a local RDAP server; an analyst signs in with
 * TOTP, confirms, traces (country, network, abuse contact), records a notice whose XARF validates
 * against the official schemas, marks the URL removed and finds it in the statistics with its
 * time to removal. The reported page is on an adult site, which the extension's static rules
 * block before any request leaves (a child there saw a child; the adult block page offers that
 * category), so its web server sees no request at all, from the browser or from the intake.
 */
import { readFileSync } from 'node:fs';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ANALYST,
  analystCode,
  type IntakeFixture,
  intakeFixture,
  signIn,
  storedCount,
} from '../helpers/intake.js';
import { startTraceServers, TEST_ABUSE, type TraceServers } from '../helpers/trace-servers.js';
import { xarfErrors } from '../helpers/xarf-validator.js';
import {
  askWorker,
  ensureExtensionBuilt,
  extensionId,
  launch,
  serviceWorker,
  setFirstPin,
  TestServers,
  visit,
} from './extension-harness.js';

const PIN = '2468';
/** An adult site (static rules: blocked before any request leaves) where a child saw a child. */
const REPORTED_HOST = 'www.adult-demo.test';
const REPORTED_URL = `http://${REPORTED_HOST}/gallery/42`;
const servers = new TestServers();
let intake: IntakeFixture;
let trace: TraceServers;
let ctx: BrowserContext;
let close: () => Promise<void>;
let id: string;
let triage: Page;

beforeAll(async () => {
  ensureExtensionBuilt();
  await servers.start();
  intake = await intakeFixture();
  trace = await startTraceServers(intake.dir, {
    [`${REPORTED_HOST} A`]: [{ type: 'A', name: REPORTED_HOST, data: '192.0.2.10' }],
  });
  await intake.start([...trace.intakeArgs, '--unit-country', 'KG']);
  ({ ctx, close } = await launch(servers));
  id = extensionId(await serviceWorker(ctx));
  await setFirstPin(ctx, PIN);
  const saved = await askWorker(ctx, id, {
    type: 'save-settings',
    pin: PIN,
    settings: {
      categories: { adult: true },
      subscriptions: [],
      reportDestination: intake.url,
      reportUnitKey: readFileSync(intake.pubPath, 'utf8').trim(),
      language: 'auto',
      helplineNumber: '111',
      helplineName: '',
    },
  });
  expect(saved.ok).toBe(true);
});

afterAll(async () => {
  await close?.();
  await intake?.server?.stop();
  trace?.close();
  servers.stop();
});

const row = () => triage.locator(`tr.report-group[data-url="${REPORTED_URL}"]`);

describe('extension report → triage → trace → notice → removed → statistics', () => {
  it('the extension files a report from the block page of an adult site', async () => {
    // Positive control for the last check: the browser does reach the test web server.
    await (await visit(ctx, 'http://page.kalkan-e2e.test/')).close();
    expect(servers.requests('kalkan-e2e.test').length).toBeGreaterThan(0);
    const page = await visit(ctx, REPORTED_URL);
    await expect
      .poll(() => page.url().startsWith(`chrome-extension://${id}/pages/block.html`), {
        timeout: 10_000,
      })
      .toBe(true);
    await page.locator('#host').filter({ hasText: /./ }).waitFor();
    await page.click('#report');
    await page.waitForURL(/report\.html/);
    await page.locator('#url').filter({ hasText: /./ }).waitFor();
    await page.selectOption('#category', 'csam_suspected');
    await page.selectOption('#where', 'chat');
    await page.click('button[type=submit]');
    await page
      .locator('#result')
      .filter({ hasText: /sealed/ })
      .waitFor({ timeout: 10_000 });
    await expect.poll(() => storedCount(intake), { timeout: 10_000 }).toBe(1);
    await page.close();
  });

  it('an analyst signed in with TOTP confirms it and traces its hosting', async () => {
    triage = await ctx.newPage();
    await signIn(triage, intake, ANALYST, analystCode(intake));
    await triage.waitForSelector('h1:has-text("Reports (1)")');
    await row().locator('select[name=classification]').selectOption('A1');
    await row().locator('button[value=confirmed]').click();
    await triage.waitForSelector(
      `tr.report-group[data-url="${REPORTED_URL}"] .status:has-text("confirmed")`,
    );
    await row().locator('a.case').click();
    await triage.waitForSelector('#case-state:has-text("assessed")');
    await triage.click('button:has-text("Trace now")');
    const address = triage.locator('#trace tr.address').first();
    await address.waitFor();
    expect(await address.locator('.country').textContent()).toBe('NL');
    expect(await address.locator('.network').textContent()).toBe('AS64500 Test Hosting B.V.');
    expect(await address.locator('.abuse').textContent()).toContain(TEST_ABUSE.email);
    expect(trace.dnsQuestions).toContain(`${REPORTED_HOST} A`);
    expect(trace.rdapPaths).toEqual(['/ip/192.0.2.10']);
  });

  it('records a notice to the abuse contact; its XARF validates against the official schemas', async () => {
    await triage.selectOption('select[name=kind]', 'notice');
    await triage.fill('input[name=recipient]', TEST_ABUSE.email);
    await triage.selectOption('select[name=language]', 'en');
    await triage.click('button:has-text("Record notice")');
    await triage.waitForSelector('#case-state:has-text("notice_sent")');
    const notice = triage.locator('tr.notice').first();
    expect(await notice.textContent()).toContain(TEST_ABUSE.email);
    const xarfLink = await notice.locator('a:has-text("XARF")').getAttribute('href');
    const xarf = (await (await triage.request.get(`${intake.url}${xarfLink}`)).json()) as Record<
      string,
      unknown
    >;
    expect(xarfErrors(xarf)).toEqual([]);
    expect(xarf).toMatchObject({ type: 'csam', classification: 'A1', url: REPORTED_URL });
  });

  it('marks it removed; the statistics page shows it with its time to removal', async () => {
    await triage.click('button:has-text("Mark removed")');
    await triage.waitForSelector('#case-state:has-text("removed")');
    expect(await triage.textContent('#time-to-removal')).toMatch(/removed after \d+ minute/);
    await triage.click('a:has-text("Statistics")');
    expect(await triage.textContent('#removal')).toMatch(/1 URL\(s\) removed, median \d+ min/);
    expect(await triage.locator('svg.chart[data-by="country"]').textContent()).toContain('NL');
    expect(await triage.locator('svg.chart[data-by="state"]').textContent()).toContain('removed');
  });

  it('nothing ever fetched the reported site; RDAP was asked only /ip/ paths', () => {
    expect(servers.requests('adult-demo.test')).toEqual([]);
    expect(trace.rdapPaths.every((p) => p.startsWith('/ip/'))).toBe(true);
  });
});
