/**
 * The report form's other states, all real: a resolver whose reports the intake refuses (sealed
 * to another unit's key) shows them failed with the reason and sends one again on request; a
 * resolver without a `reports:` section says how to set reporting up.
 */
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/chromium.js';
import { type IntakeFixture, intakeFixture, storedCount } from '../helpers/intake.js';
import { runKalkan } from '../helpers/kalkan-process.js';
import { startKalkan, tempDir, waitFor } from '../helpers/resolver.js';
import { reportThroughPage } from '../helpers/status-page.js';

const SECOND_URL = 'http://csam-demo.example/forum/thread-3';

let tmp: Awaited<ReturnType<typeof tempDir>>;
let intake: IntakeFixture;
let browser: Browser | undefined;
let page: Page;

beforeAll(async () => {
  tmp = await tempDir('kalkan-resolver-report-states-');
  intake = await intakeFixture();
  await intake.start();
  browser = await launchChromium();
  page = await browser.newPage();
}, 30_000);

afterAll(async () => {
  await browser?.close();
  await intake?.server?.stop();
  await tmp?.remove();
});

describe('the status page report form, other states', () => {
  it('shows a report the intake refuses as failed, and sends it again on request', async () => {
    // Sealed to another unit's key: the intake answers 422, which no retry can fix by itself.
    const wrong = await runKalkan([
      'intake',
      'keygen',
      '--out',
      join(tmp.dir, 'other-unit'),
      '--org',
      'Other Unit',
      '--contact',
      'reports@other.example',
      '--domain',
      'other.example',
    ]);
    expect(wrong.code).toBe(0);
    const misconfigured = await startKalkan(tmp.dir, {
      upstreams: ['127.0.0.1:9'],
      reports: { intake: intake.url, unitKey: join(tmp.dir, 'other-unit', 'unit.pub') },
    });
    const before = await storedCount(intake);
    try {
      const url = `http://127.0.0.1:${misconfigured.statusPort}/`;
      await reportThroughPage(page, url, { url: SECOND_URL, category: 'other' });
      const row = async () => {
        await page.goto(url);
        return (await page.textContent('#report-list tbody tr:first-child')) ?? '';
      };
      await waitFor(async () => /failed after 1 attempt\(s\): .*422/.test(await row()), 10_000);
      await Promise.all([
        page.waitForURL(/reported=1/),
        page.click('#report-list button:has-text("Send again")'),
      ]);
      await waitFor(async () => /failed after 2 attempt\(s\)/.test(await row()), 10_000);
      expect(await storedCount(intake)).toBe(before);
    } finally {
      await misconfigured.stop();
    }
  });

  it('without a reports: section the page says how to set reporting up', async () => {
    const plain = await startKalkan(tmp.dir, { upstreams: ['127.0.0.1:9'] });
    try {
      await page.goto(`http://127.0.0.1:${plain.statusPort}/`);
      expect(await page.textContent('#reports')).toMatch(/Reporting is not set up.*reports:/s);
      expect(await page.$('form')).toBeNull();
    } finally {
      await plain.stop();
    }
  });
});
