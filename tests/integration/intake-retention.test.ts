/**
 * Retention rules set by a supervisor in the triage, in Chromium against a real `kalkan intake
 * serve`: the `--keep` flags are the form's starting values; an analyst is refused (page and
 * post), a post without the CSRF token too; the supervisor's saved days are audited, win over the
 * flags (also after a restart), and "Purge now" applies them, sparing a URL under a legal hold.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { totpCode } from '../../resolver/intake/totp.js';
import { launchChromium } from '../helpers/chromium.js';
import {
  ANALYST,
  addAccount,
  analystCode,
  type IntakeFixture,
  intakeFixture,
  SUPERVISOR,
  signIn,
  submitReport,
} from '../helpers/intake.js';

const KEPT_URL = 'https://kept-demo.test/a';
const HELD_URL = 'https://held-demo.test/b';
const REJECTED_URL = 'https://rejected-demo.test/c';
const FLAGS = ['--keep', 'new=3650', '--keep', 'rejected=3650'];

let intake: IntakeFixture;
let browser: Browser;
let supervisorSecret: string;
let supervisor: Page;
let analyst: Page;

beforeAll(async () => {
  intake = await intakeFixture();
  supervisorSecret = await addAccount(
    intake.dataDir,
    SUPERVISOR.user,
    SUPERVISOR.password,
    'supervisor',
  );
  await intake.start(FLAGS);
  for (const url of [KEPT_URL, HELD_URL, REJECTED_URL]) {
    const result = await submitReport(intake, url, 'other');
    expect(result.code, result.stderr).toBe(0);
  }
  browser = await launchChromium();
  supervisor = await (await browser.newContext()).newPage();
  await signIn(supervisor, intake, SUPERVISOR, totpCode(supervisorSecret));
  await supervisor.waitForSelector('h1:has-text("Reports (3)")');
  analyst = await (await browser.newContext()).newPage();
  await signIn(analyst, intake, ANALYST, analystCode(intake));
  await analyst.waitForSelector('h1:has-text("Reports (3)")');
});

afterAll(async () => {
  await browser?.close();
  await intake?.server?.stop();
});

const days = (page: Page, state: string) => page.inputValue(`input[name="days.${state}"]`);

describe('retention rules edited by a supervisor', () => {
  it('starts from the --keep flags', async () => {
    await supervisor.goto(`${intake.url}/triage/users`);
    expect(await days(supervisor, 'new')).toBe('3650');
    expect(await days(supervisor, 'rejected')).toBe('3650');
    expect(await days(supervisor, 'removed')).toBe('');
  });

  it('refuses an analyst and a post without the CSRF token', async () => {
    expect((await analyst.goto(`${intake.url}/triage/users`))?.status()).toBe(403);
    await analyst.goto(`${intake.url}/triage`);
    const csrf = await analyst.locator('input[name=csrf]').first().inputValue();
    const byAnalyst = await analyst.request.post(`${intake.url}/triage/retention`, {
      form: { csrf, 'days.new': '0' },
    });
    expect(byAnalyst.status()).toBe(403);
    const noToken = await supervisor.request.post(`${intake.url}/triage/retention`, {
      form: { 'days.new': '0' },
    });
    expect(noToken.status()).toBe(403);
    await supervisor.reload();
    expect(await days(supervisor, 'new')).toBe('3650');
  });

  it('rejects days that are not a whole number, naming the state', async () => {
    await supervisor.fill('input[name="days.rejected"]', '-1');
    await supervisor.$eval('#retention-form', (form) => form.setAttribute('novalidate', ''));
    await supervisor.click('button:has-text("Save retention")');
    await supervisor.waitForSelector('[role=alert]:has-text("Days for rejected")');
  });

  it('saves the supervisor’s days, audited', async () => {
    await supervisor.goto(`${intake.url}/triage/users`);
    await supervisor.fill('input[name="days.new"]', '0');
    await supervisor.fill('input[name="days.rejected"]', '0');
    await supervisor.click('button:has-text("Save retention")');
    await supervisor.waitForSelector('[role=alert]:has-text("Retention saved.")');
    expect(await supervisor.textContent('#retention')).toContain('new 0 day(s), rejected 0 day(s)');
    await supervisor.goto(`${intake.url}/triage`);
    expect(await supervisor.locator('table').last().textContent()).toMatch(
      /sam\s*retention set\s*new 0 day\(s\), rejected 0 day\(s\)/,
    );
  });

  it('Purge now honours the saved rule and spares a URL under a legal hold', async () => {
    await analyst.goto(`${intake.url}/triage`);
    await analyst
      .locator(`tr.report-group[data-url="${REJECTED_URL}"] button[value=rejected]`)
      .click();
    await analyst.waitForSelector(
      `tr.report-group[data-url="${REJECTED_URL}"] .status:has-text("rejected")`,
    );
    await supervisor.locator(`tr.report-group[data-url="${HELD_URL}"] a.case`).click();
    await supervisor.click('button:has-text("Set legal hold")');
    await supervisor.waitForSelector('#legal-hold');
    await supervisor.goto(`${intake.url}/triage/users`);
    await supervisor.click('button:has-text("Purge now")');
    await supervisor.waitForSelector('[role=alert]:has-text("purged 2 report(s)")');
    expect(await supervisor.textContent('[role=alert]')).toMatch(
      /1 new.*1 rejected|1 rejected.*1 new/,
    );
    await supervisor.goto(`${intake.url}/triage`);
    expect(await supervisor.textContent('h1')).toBe('Reports (1)');
    expect(await supervisor.locator(`tr.report-group[data-url="${HELD_URL}"]`).count()).toBe(1);
  });

  it('keeps the saved days over the flags after a restart', async () => {
    await intake.server?.stop();
    await intake.start(FLAGS);
    const page = await (await browser.newContext()).newPage();
    await signIn(page, intake, SUPERVISOR, totpCode(supervisorSecret, Date.now() + 30_000));
    await page.click('a:has-text("Accounts")');
    expect(await days(page, 'new')).toBe('0');
    expect(await days(page, 'removed')).toBe('');
  });
});
