/**
 * A school's install: Chromium force-installs the packed extension by policy
 * (`ExtensionInstallForcelist`, from an update manifest on a loopback server), which is what
 * lets Chrome grant blocking `webRequest`. Then a request to a hashed-list host never leaves
 * the browser: the host's test server sees none, after a positive control's request was seen.
 * The school's report destination (policy `reportDestination` + `reportUnitKey`, a real
 * `kalkan intake`) is where a report from the block page is sealed to and arrives.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportCsv, type IntakeFixture, intakeFixture, storedCount } from '../helpers/intake.js';
import {
  ensureExtensionBuilt,
  type ForceInstalled,
  forceInstall,
  installed,
  TestServers,
  tabUrls,
  visit,
} from './extension-harness.js';

const servers = new TestServers();
let browser: ForceInstalled;
let intake: IntakeFixture;

beforeAll(async () => {
  ensureExtensionBuilt();
  await servers.start();
  intake = await intakeFixture();
  await intake.start();
  const unitKey = readFileSync(intake.pubPath, 'utf8').trim();
  browser = await forceInstall(servers, (id) => ({
    // DevTools stay off for a policy-installed extension's pages unless allowed; Playwright
    // needs them to drive the block page and the report form.
    DeveloperToolsAvailability: 1,
    '3rdparty': {
      extensions: { [id]: { reportDestination: intake.url, reportUnitKey: unitKey } },
    },
  }));
});

afterAll(async () => {
  await browser?.close();
  await intake?.server?.stop();
  servers.stop();
});

describe('force-installed by policy', () => {
  it('blocks with blocking webRequest: the listed host never sees a request', async () => {
    const { ctx, id } = browser;
    // Installed from the policy, with blocking webRequest granted and the worker's listeners on.
    const entry = await installed(ctx, id);
    expect(entry.location).toBe('EXTERNAL_POLICY_DOWNLOAD');
    expect(entry.permissions.active.api).toContain('webRequestBlocking');

    // Positive control: an unlisted host's request and script arrive.
    const control = await visit(ctx, 'http://control.kalkan-e2e.test/?tag=fi-control');
    await expect.poll(() => servers.beacons('fi-control'), { timeout: 10_000 }).toBeGreaterThan(0);
    expect(servers.requests('control.kalkan-e2e.test').length).toBeGreaterThan(0);
    await control.close();

    for (let i = 0; i < 5; i++) await visit(ctx, `http://f${i}.abuse-demo.test/path?tag=fi${i}`);
    const blockPages = async () =>
      (await tabUrls(ctx)).filter((u) => u.startsWith(`chrome-extension://${id}/pages/block.html`))
        .length;
    await expect.poll(blockPages, { timeout: 10_000 }).toBe(5);
    expect(servers.requests('abuse-demo.test')).toEqual([]);
  });

  it("seals a block page's report to the policy's unit key and delivers it to the policy's intake", async () => {
    const { ctx, id } = browser;
    await installed(ctx, id);
    const url = 'http://report.abuse-demo.test/room/9?tag=fi-report';
    const page = await visit(ctx, url);
    await expect
      .poll(() => page.url().startsWith(`chrome-extension://${id}/pages/block.html`), {
        timeout: 10_000,
      })
      .toBe(true);
    await page.locator('#host').filter({ hasText: /./ }).waitFor();
    await page.click('#report');
    await page.waitForURL(/report\.html/);
    await page.locator('#url').filter({ hasText: /./ }).waitFor();
    await page.selectOption('#category', 'csem');
    await page.selectOption('#where', 'web_page');
    await page.click('button[type=submit]');
    await page.locator('#result.ok').waitFor({ timeout: 10_000 });
    // Accepted by the intake (a report sealed to another key is refused with 422) and opened there.
    await expect.poll(() => storedCount(intake), { timeout: 15_000, interval: 250 }).toBe(1);
    const exported = await exportCsv(intake);
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stdout).toContain(url);
  });
});
