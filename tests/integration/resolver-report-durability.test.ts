/**
 * Issue 5's durability check for the resolver: with the intake down, staff report through the
 * status page; the resolver is killed with -9 while the report is queued; both restart; the
 * report arrives exactly once and the new process's page shows it delivered.
 */
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { launchChromium } from '../helpers/chromium.js';
import { exportCsv, type IntakeFixture, intakeFixture, storedCount } from '../helpers/intake.js';
import { type Kalkan, startKalkan, tempDir, waitFor } from '../helpers/resolver.js';
import { reportStates, reportThroughPage } from '../helpers/status-page.js';

const URL_1 = 'https://abuse-demo.test/durable?item=1';
const URL_2 = 'https://abuse-demo.test/durable?item=2';

let tmp: Awaited<ReturnType<typeof tempDir>>;
let intake: IntakeFixture;
let browser: Browser | undefined;
const running: Kalkan[] = [];

beforeAll(async () => {
  tmp = await tempDir('kalkan-resolver-report-kill-');
  intake = await intakeFixture();
  browser = await launchChromium();
}, 30_000);

afterAll(async () => {
  await browser?.close();
  await Promise.all(running.map((k) => k.stop()));
  await intake?.server?.stop();
  await tmp?.remove();
});

const serve = async () => {
  const k = await startKalkan(tmp.dir, {
    upstreams: ['127.0.0.1:9'],
    dataDir: join(tmp.dir, 'resolver-data'),
    reports: { intake: intake.url, unitKey: intake.pubPath },
  });
  running.push(k);
  return k;
};

it('a report queued when the resolver is killed -9 arrives exactly once after restart', async () => {
  const page = await (browser as Browser).newPage();
  const first = await serve();
  for (const url of [URL_1, URL_2])
    await reportThroughPage(page, `http://127.0.0.1:${first.statusPort}/`, {
      url,
      category: 'csam_suspected',
    });
  const states = (k: Kalkan) => reportStates(page, `http://127.0.0.1:${k.statusPort}/`);
  expect(await states(first)).toEqual(['queued', 'queued']);
  first.child.kill('SIGKILL');
  await new Promise((resolve) => first.child.once('exit', resolve));

  await intake.start();
  const second = await serve();
  await waitFor(async () => (await states(second)).join() === 'delivered,delivered', 30_000);
  expect(await storedCount(intake)).toBe(2);
  const csv = await exportCsv(intake);
  expect(csv.stdout.split(URL_1)).toHaveLength(2);
  expect(csv.stdout.split(URL_2)).toHaveLength(2);
}, 55_000);
