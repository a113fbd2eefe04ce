/**
 * The hotline workflow end to end, all real and on loopback only: reports from `kalkan reports
 * submit` reach a `kalkan intake serve` that traces through a local DNS server (dns-packet over
 * UDP), an MMDB of test ranges this test writes, and a local RDAP server named by a bootstrap
 * file; in Chromium an analyst confirms, traces (country, network, abuse contact), records a
 * notice (its XARF validates), marks the URL removed and sees it in the statistics with its time
 * to removal; `kalkan intake stats` gives the CSV/JSON; retention purges what is due except a
 * URL under a legal hold. Nothing ever asks the reported hosts for a page.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
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
import { runKalkan } from '../helpers/kalkan-process.js';
import { startTraceServers, type TraceServers } from '../helpers/trace-servers.js';
import { xarfErrors } from '../helpers/xarf-validator.js';

const HOSTED_URL = 'https://abuse-demo.test/hosted/page';
const DOMESTIC_URL = 'https://kg-demo.test/x';
const HELD_URL = 'https://held-demo.test/evidence';

let intake: IntakeFixture;
let browser: Browser;
let page: Page;
let trace: TraceServers;
let supervisorSecret: string;

const intakeArgs = () => ['--data', intake.dataDir, '--key', intake.keyPath];

beforeAll(async () => {
  intake = await intakeFixture();
  supervisorSecret = await addAccount(
    intake.dataDir,
    SUPERVISOR.user,
    SUPERVISOR.password,
    'supervisor',
  );
  trace = await startTraceServers(intake.dir, {
    'abuse-demo.test CNAME': [
      { type: 'CNAME', name: 'abuse-demo.test', data: 'cdn.hosting.example' },
    ],
    'cdn.hosting.example A': [{ type: 'A', name: 'cdn.hosting.example', data: '192.0.2.10' }],
    'kg-demo.test A': [{ type: 'A', name: 'kg-demo.test', data: '198.51.100.7' }],
  });
  await intake.start([...trace.intakeArgs, '--unit-country', 'KG']);
  for (const [url, category] of [
    [HOSTED_URL, 'csam_suspected'],
    [HOSTED_URL, 'csem'],
    [DOMESTIC_URL, 'grooming'],
    [HELD_URL, 'other'],
  ] as const) {
    const result = await submitReport(intake, url, category);
    expect(result.code, result.stderr).toBe(0);
  }
  browser = await launchChromium();
  page = await (await browser.newContext()).newPage();
});

afterAll(async () => {
  await browser?.close();
  await intake?.server?.stop();
  trace?.close();
});

const row = (url: string) => page.locator(`tr.report-group[data-url="${url}"]`);

describe('report → triage → trace → notice → removed → statistics', () => {
  it('an analyst confirms a URL and traces its hosting without fetching it', async () => {
    await signIn(page, intake, ANALYST, analystCode(intake));
    await page.waitForSelector('h1:has-text("Reports (4)")');
    await row(HOSTED_URL).locator('select[name=classification]').selectOption('A1');
    await row(HOSTED_URL).locator('button[value=confirmed]').click();
    await page.waitForSelector(
      `tr.report-group[data-url="${HOSTED_URL}"] .status:has-text("confirmed")`,
    );
    await row(DOMESTIC_URL).locator('button[value=confirmed]').click();
    await page.waitForSelector(
      `tr.report-group[data-url="${DOMESTIC_URL}"] .status:has-text("confirmed")`,
    );
    await row(HOSTED_URL).locator('a.case').click();
    await page.waitForSelector('#case-state:has-text("assessed")');
    await page.click('button:has-text("Trace now")');
    const address = page.locator('#trace tr.address').first();
    await address.waitFor();
    expect(await address.locator('.country').textContent()).toBe('NL');
    expect(await address.locator('.network').textContent()).toBe('AS64500 Test Hosting B.V.');
    expect(await address.locator('.abuse').textContent()).toContain('abuse@hosting.example');
    expect(await page.textContent('body')).toContain('CNAME cdn.hosting.example');
    // Hosted abroad: a referral to the country's hotline is suggested.
    expect(await page.inputValue('input[name=recipient]')).toContain('Offlimits');
    expect(trace.rdapPaths).toContain('/ip/192.0.2.10');
    // Traced again: the registry's answer comes from the cache.
    await page.click('button:has-text("Trace now")');
    await page.locator('#trace tr.address').first().waitFor();
    expect(trace.rdapPaths.filter((p) => p === '/ip/192.0.2.10')).toHaveLength(1);
    expect(trace.rdapPaths.every((p) => p.startsWith('/ip/'))).toBe(true);
    expect(trace.dnsQuestions).toContain('abuse-demo.test CNAME');
  });

  it('records a notice to the abuse contact; its XARF validates and its text names the URL', async () => {
    await page.selectOption('select[name=kind]', 'notice');
    await page.fill('input[name=recipient]', 'abuse@hosting.example');
    await page.selectOption('select[name=language]', 'ru');
    await page.click('button:has-text("Record notice")');
    await page.waitForSelector('#case-state:has-text("notice_sent")');
    const notice = page.locator('tr.notice').first();
    expect(await notice.textContent()).toContain('abuse@hosting.example');
    const xarfLink = await notice.locator('a:has-text("XARF")').getAttribute('href');
    const xarf = (await (await page.request.get(`${intake.url}${xarfLink}`)).json()) as Record<
      string,
      unknown
    >;
    expect(xarfErrors(xarf)).toEqual([]);
    expect(xarf).toMatchObject({ type: 'csam', classification: 'A1', url: HOSTED_URL });
    const textLink = await notice.locator('a:has-text("text")').getAttribute('href');
    const text = await (await page.request.get(`${intake.url}${textLink}`)).text();
    expect(text).toContain(`URL: ${HOSTED_URL}`);
    expect(text).toContain('Кому: abuse@hosting.example');
  });

  it('re-checks by DNS, marks the URL removed and shows the time to removal', async () => {
    await page.click('button:has-text("Re-check by DNS")');
    expect(await page.textContent('#recheck')).toContain('still resolves');
    await page.click('button:has-text("Mark removed")');
    await page.waitForSelector('#case-state:has-text("removed")');
    expect(await page.textContent('#time-to-removal')).toMatch(/removed after \d+ minute/);
    await page.click('a:has-text("Statistics")');
    expect(await page.textContent('#removal')).toMatch(/1 URL\(s\) removed, median \d+ min/);
    const countries = page.locator('svg.chart[data-by="country"]');
    expect(await countries.textContent()).toContain('NL');
    expect(await page.locator('svg.chart[data-by="state"]').textContent()).toContain('removed');
  });

  it('promote keeps a URL listed until it is removed, then withdraws it', async () => {
    const list = join(intake.dir, 'confirmed.txt');
    await writeFile(list, 'abuse-demo.test\n');
    const promoted = await runKalkan(['intake', 'promote', ...intakeArgs(), '-o', list]);
    expect(promoted.stdout).toContain('1 withdrawn: marked removed');
    const text = await readFile(list, 'utf8');
    expect(text).toContain('\nkg-demo.test\n');
    expect(text).not.toContain('abuse-demo.test');
  });

  it('kalkan intake stats prints category counts as CSV and grouped JSON', async () => {
    const csv = await runKalkan([
      'intake',
      'stats',
      ...intakeArgs(),
      '--by',
      'category',
      '--format',
      'csv',
    ]);
    expect(csv.stderr).toBe('');
    expect(csv.stdout).toBe('category,count\ncsam_suspected,1\ncsem,1\ngrooming,1\nother,1\n');
    const out = join(intake.dir, 'stats.json');
    const json = await runKalkan([
      'intake',
      'stats',
      ...intakeArgs(),
      '--by',
      'country',
      '--by',
      'state',
      '--format',
      'json',
      '-o',
      out,
    ]);
    expect(json.code, json.stderr).toBe(0);
    const result = JSON.parse(await readFile(out, 'utf8'));
    expect(result.rows).toContainEqual({ country: 'NL', state: 'removed', count: 2 });
    expect(result.timeToRemoval.urls).toBe(1);
    const classes = await runKalkan([
      'intake',
      'stats',
      ...intakeArgs(),
      '--by',
      'classification',
      '--format',
      'csv',
    ]);
    expect(classes.stdout).toBe('classification,count\nA1,2\nnone,2\n');
    const csv2 = await runKalkan([
      'intake',
      'stats',
      ...intakeArgs(),
      '--by',
      'month',
      '--by',
      'source',
      '--format',
      'csv',
    ]);
    expect(csv2.stdout.split('\n')[0]).toBe('month,source,count');
    expect(csv2.stdout).toMatch(/^\d{4}-\d{2},cli,4$/m);
  });

  it('purges what retention says is due, except a URL under a legal hold', async () => {
    const supervisor = await (await browser.newContext()).newPage();
    await signIn(supervisor, intake, SUPERVISOR, totpCode(supervisorSecret));
    await supervisor.locator(`tr.report-group[data-url="${HELD_URL}"] a.case`).click();
    await supervisor.click('button:has-text("Set legal hold")');
    await supervisor.waitForSelector('#legal-hold');
    const purge = await runKalkan([
      'intake',
      'purge',
      '--data',
      intake.dataDir,
      '--keep',
      'new=0',
      '--keep',
      'rejected=0',
    ]);
    expect(purge.stdout).toBe('purged 0 report(s)\n');
    // The held URL is new; the domestic one was confirmed (assessed) and is kept for years.
    await page.goto(`${intake.url}/triage`);
    expect(await page.textContent('h1')).toBe('Reports (4)');
    await supervisor.click('button:has-text("Lift legal hold")');
    const again = await runKalkan(['intake', 'purge', '--data', intake.dataDir, '--keep', 'new=0']);
    expect(again.stdout).toBe('purged 1 report(s): 1 new\n');
    await page.reload();
    expect(await page.textContent('h1')).toBe('Reports (3)');
    expect(await page.locator(`tr.report-group[data-url="${HELD_URL}"]`).count()).toBe(0);
    expect(await page.locator('table').last().textContent()).toMatch(/purge\s*1 new/);
  });

  it('kalkan intake rdap-bootstrap refreshes the local bootstrap files', async () => {
    const out = join(intake.dir, 'rdap');
    const result = await runKalkan([
      'intake',
      'rdap-bootstrap',
      '--out',
      out,
      '--from',
      `http://127.0.0.1:${trace.rdapPort}/bootstrap/`,
    ]);
    expect(result.code, result.stderr).toBe(0);
    for (const name of ['ipv4.json', 'ipv6.json']) {
      expect(JSON.parse(await readFile(join(out, name), 'utf8')).services).toHaveLength(1);
    }
  });
});
