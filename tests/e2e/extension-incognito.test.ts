/**
 * A fresh incognito instance (the extension allowed in incognito, as a parent would tick it):
 * its worker starts only after the first navigation has gone out, so only the incognito gate
 * (extension/background/tab-gate.ts, a shared session rule) stands between that navigation and
 * the page. Each trial opens a new incognito window on a hashed-list page with an unlisted page
 * beside it, then closes the window so the next one starts a fresh instance again.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  allowIncognito,
  closeTabs,
  ensureExtensionBuilt,
  launch,
  openIncognitoWindow,
  serviceWorker,
  sleep,
  TestServers,
  tabUrls,
  visit,
} from './extension-harness.js';

const TRIALS = 5;
const servers = new TestServers();
const profile = mkdtempSync(join(tmpdir(), 'kalkan-incognito-'));
let browser: Awaited<ReturnType<typeof launch>>;
let worker: Worker;

beforeAll(async () => {
  ensureExtensionBuilt();
  await servers.start();
  browser = await launch(servers, undefined, { profile });
  await serviceWorker(browser.ctx);
  await sleep(1_500);
  await browser.close();
  allowIncognito(profile);
  browser = await launch(servers, undefined, { profile });
  worker = await serviceWorker(browser.ctx);
});

afterAll(async () => {
  await browser?.close();
  servers.stop();
  rmSync(profile, { recursive: true, force: true });
});

describe('a fresh incognito instance', () => {
  it('never lets its first navigation reach a hashed-list host, and still loads unlisted pages', async () => {
    for (let i = 0; i < TRIALS; i++) {
      await openIncognitoWindow(worker, [
        `http://inc${i}.abuse-demo.test/?tag=inc${i}`,
        `http://ictl${i}.kalkan-e2e.test/?tag=ictl${i}`,
      ]);
      // Positive control: the unlisted page beside it loads and its script runs.
      await expect
        .poll(() => servers.beacons(`ictl${i}`), { timeout: 15_000, interval: 100 })
        .toBeGreaterThan(0);
      const blockPage = (u: string) => u.includes('/pages/block.html') && u.includes(`inc${i}.`);
      await expect
        .poll(async () => (await tabUrls(browser.ctx)).some(blockPage), {
          timeout: 10_000,
        })
        .toBe(true);
      await closeTabs(browser.ctx, (u) => /[?&]tag=i(nc|ctl)\d|block\.html/.test(u));
      await sleep(1_500);
    }
    // Not one request reached the listed hosts' server, so no page script ran either.
    expect(servers.requests('abuse-demo.test')).toEqual([]);
    for (let i = 0; i < TRIALS; i++) expect(servers.beacons(`inc${i}`)).toBe(0);
  });

  it('leaves regular tabs alone: a new tab loads, also one a page opens with its address', async () => {
    const page = await visit(browser.ctx, 'http://regular.kalkan-e2e.test/?tag=regular');
    await expect.poll(() => servers.beacons('regular'), { timeout: 10_000 }).toBeGreaterThan(0);
    // A tab created with its address loading at once (as a link opened in a new tab): if its
    // first load beat the gate's update, it is sent on, and its page still runs.
    for (let i = 0; i < 3; i++)
      await page.evaluate((n) => {
        window.open(`http://opened${n}.kalkan-e2e.test/?tag=opened${n}`, '_blank');
      }, i);
    for (let i = 0; i < 3; i++)
      await expect
        .poll(() => servers.beacons(`opened${i}`), { timeout: 10_000 })
        .toBeGreaterThan(0);
    await closeTabs(browser.ctx, (u) => u.includes('opened'));
    await page.close();
  });
});
