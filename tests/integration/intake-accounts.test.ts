/**
 * Roles and the second factor, in Chromium against a real `kalkan intake serve`: a supervisor
 * signs in with a TOTP code, adds an analyst (whose authenticator is enrolled from the page),
 * the analyst signs in with a code of their own (a replayed code is refused), decides a report,
 * cannot undo or manage accounts; the supervisor undoes the decision and removes the account,
 * which ends its session.
 */
import { readFile } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeUnitPublicKey } from '../../reporting/keys.js';
import { newReport } from '../../reporting/schema.js';
import { sealReport } from '../../reporting/seal.js';
import { totpCode } from '../../resolver/intake/totp.js';
import { launchChromium } from '../helpers/chromium.js';
import {
  addAccount,
  type IntakeFixture,
  intakeFixture,
  SUPERVISOR,
  signIn,
} from '../helpers/intake.js';

const NEW_ANALYST = { user: 'bob', password: 'analyst passphrase 22' };
const URL_REPORTED = 'https://abuse-demo.test/accounts';

let intake: IntakeFixture;
let browser: Browser;
let supervisorSecret: string;
let analystSecret = '';
let supervisorPage: Page;
let analystPage: Page;

beforeAll(async () => {
  intake = await intakeFixture();
  supervisorSecret = await addAccount(
    intake.dataDir,
    SUPERVISOR.user,
    SUPERVISOR.password,
    'supervisor',
  );
  await intake.start(['--keep', 'rejected=0']);
  browser = await launchChromium();
  const key = decodeUnitPublicKey(await readFile(intake.pubPath, 'utf8'), intake.pubPath);
  const sealed = await sealReport(
    newReport({ url: URL_REPORTED, category: 'grooming' }, { source: 'cli' }),
    key,
  );
  const response = await fetch(`${intake.url}/v1/reports`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': sealed.id },
    body: JSON.stringify(sealed),
  });
  expect(response.status).toBe(201);
});

afterAll(async () => {
  await browser?.close();
  await intake?.server?.stop();
});

const row = (page: Page) => page.locator(`tr.report-group[data-url="${URL_REPORTED}"]`);

describe('roles and TOTP in a real browser', () => {
  it('refuses the right password with a wrong code, then lets the supervisor in', async () => {
    supervisorPage = await (await browser.newContext()).newPage();
    const wrong = String((Number(totpCode(supervisorSecret)) + 1) % 1_000_000).padStart(6, '0');
    await signIn(supervisorPage, intake, SUPERVISOR, wrong);
    await supervisorPage.waitForSelector('[role=alert]:has-text("Wrong user, password or code")');
    await signIn(supervisorPage, intake, SUPERVISOR, totpCode(supervisorSecret));
    await supervisorPage.waitForSelector('h1:has-text("Reports (1)")');
    expect(await supervisorPage.textContent('header')).toContain('(supervisor)');
  });

  it('the supervisor adds an analyst and sees the enrolment once', async () => {
    await supervisorPage.click('a:has-text("Accounts")');
    const form = supervisorPage.locator('form[action="/triage/users/add"]');
    await form.locator('input[name=user]').fill(NEW_ANALYST.user);
    await form.locator('select[name=role]').selectOption('analyst');
    await form.locator('input[name=password]').fill(NEW_ANALYST.password);
    await form.locator('button[type=submit]').click();
    const enrolment = (await supervisorPage.textContent('#enrolment')) ?? '';
    expect(enrolment).toContain(`otpauth://totp/Kalkan%20intake:${NEW_ANALYST.user}?`);
    analystSecret = /secret ([A-Z2-7]+)/.exec(enrolment)?.[1] ?? '';
    expect(analystSecret).not.toBe('');
    expect(await supervisorPage.locator('tr.account').count()).toBe(3);
  });

  it('the analyst signs in with a code once; the same code again is refused', async () => {
    analystPage = await (await browser.newContext()).newPage();
    const code = totpCode(analystSecret);
    await signIn(analystPage, intake, NEW_ANALYST, code);
    await analystPage.waitForSelector('h1:has-text("Reports (1)")');
    expect(await analystPage.locator('a:has-text("Accounts")').count()).toBe(0);
    const replay = await (await browser.newContext()).newPage();
    await signIn(replay, intake, NEW_ANALYST, code);
    await replay.waitForSelector('[role=alert]:has-text("Wrong user, password or code")');
    const accounts = await analystPage.goto(`${intake.url}/triage/users`);
    expect(accounts?.status()).toBe(403);
  });

  it('the analyst decides; only the supervisor can undo it', async () => {
    await analystPage.goto(`${intake.url}/triage`);
    await row(analystPage).locator('button[value=rejected]').click();
    await analystPage.waitForSelector(
      `tr.report-group[data-url="${URL_REPORTED}"] .status:has-text("rejected")`,
    );
    expect(await row(analystPage).locator('button:has-text("Undo")').count()).toBe(0);
    await supervisorPage.goto(`${intake.url}/triage`);
    await row(supervisorPage).locator('button:has-text("Undo decision")').click();
    await supervisorPage.waitForSelector(
      `tr.report-group[data-url="${URL_REPORTED}"] .status:text-is("new")`,
    );
    const audit = (await supervisorPage.locator('table').last().textContent()) ?? '';
    expect(audit).toMatch(/sam\s*undo decision/);
    expect(audit).toMatch(/bob\s*mark rejected/);
  });

  it('the supervisor sees the retention rules and can purge now (audited)', async () => {
    await supervisorPage.goto(`${intake.url}/triage/users`);
    expect(await supervisorPage.textContent('#retention')).toContain('rejected 0 day(s)');
    await supervisorPage.click('button:has-text("Purge now")');
    // The one report is new (the rejection was undone): rejected ones only are due.
    await supervisorPage.waitForSelector('[role=alert]:has-text("purged 0 report(s)")');
    await supervisorPage.goto(`${intake.url}/triage`);
    expect(await supervisorPage.locator('table').last().textContent()).toMatch(/sam\s*purge/);
  });

  it('removing the account ends its session', async () => {
    await supervisorPage.goto(`${intake.url}/triage/users`);
    await supervisorPage
      .locator(`tr.account[data-user="${NEW_ANALYST.user}"] button:has-text("Remove")`)
      .click();
    await supervisorPage.waitForSelector('[role=alert]:has-text("removed")');
    await analystPage.goto(`${intake.url}/triage`);
    expect(await analystPage.locator('input[name=code]').count()).toBe(1);
  });
});
