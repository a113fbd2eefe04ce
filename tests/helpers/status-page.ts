/** The status page's report form, filled in as café staff do. */
import type { Page } from 'playwright-core';
import { expect } from 'vitest';

/** Fills and sends the status page's report form, as café staff do. */
export async function reportThroughPage(
  page: Page,
  statusUrl: string,
  report: { url: string; category: string; whereFound?: string; note?: string },
): Promise<void> {
  await page.goto(statusUrl);
  await page.fill('input[name=url]', report.url);
  await page.selectOption('select[name=category]', report.category);
  if (report.whereFound) await page.selectOption('select[name=whereFound]', report.whereFound);
  if (report.note) await page.fill('textarea[name=note]', report.note);
  await Promise.all([page.waitForURL(/reported=1/), page.click('#reports button[type=submit]')]);
  expect(await page.textContent('#report-notice')).toContain('Report queued');
}

/** The states of the page's report list, newest first. */
export async function reportStates(page: Page, statusUrl: string): Promise<string[]> {
  await page.goto(statusUrl);
  return page.$$eval('#report-list tbody tr', (rows) =>
    rows.map((r) => r.getAttribute('data-state') ?? ''),
  );
}
