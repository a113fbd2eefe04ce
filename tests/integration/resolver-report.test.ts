/**
 * The status page's report form, all real: a `kalkan intake` and a `kalkan serve` with a
 * `reports:` section; café staff fill the form in Chromium; the report reaches the intake (its
 * CSV export shows it). With the intake down the page lists the report as queued, then as
 * delivered once the intake is back. Posts without the page's token, from another origin or
 * through a rebound host name are refused.
 */
import { request } from 'node:http';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/chromium.js';
import { exportCsv, type IntakeFixture, intakeFixture, storedCount } from '../helpers/intake.js';
import { type Kalkan, startKalkan, tempDir, waitFor } from '../helpers/resolver.js';
import { reportStates, reportThroughPage } from '../helpers/status-page.js';

const FIRST_URL = 'https://abuse-demo.test/gallery?page=7';
const SECOND_URL = 'http://csam-demo.example/forum/thread-3';

let tmp: Awaited<ReturnType<typeof tempDir>>;
let intake: IntakeFixture;
let kalkan: Kalkan | undefined;
let browser: Browser | undefined;
let page: Page;
let statusUrl: string;

beforeAll(async () => {
  tmp = await tempDir('kalkan-resolver-report-');
  intake = await intakeFixture();
  await intake.start();
  kalkan = await startKalkan(tmp.dir, {
    upstreams: ['127.0.0.1:9'],
    reports: { intake: intake.url, unitKey: intake.pubPath },
  });
  statusUrl = `http://127.0.0.1:${kalkan.statusPort}`;
  browser = await launchChromium();
  page = await browser.newPage();
}, 40_000);

afterAll(async () => {
  await browser?.close();
  await kalkan?.stop();
  await intake?.server?.stop();
  await tmp?.remove();
});

const report = (url: string, category: string, whereFound: string, note: string) =>
  reportThroughPage(page, statusUrl, { url, category, whereFound, note });
const states = () => reportStates(page, statusUrl);

async function exportedCsv(): Promise<string> {
  const csv = await exportCsv(intake);
  expect(csv.code).toBe(0);
  return csv.stdout;
}

describe('the status page report form', () => {
  it('shows the form with the warning, and staff report a site that reaches the intake', async () => {
    await page.goto(statusUrl);
    expect(await page.textContent('#reports')).toMatch(/Never download, screenshot/);
    await report(FIRST_URL, 'csem', 'chat', 'seen on the café PC by a staff member');
    await waitFor(async () => (await storedCount(intake)) === 1, 15_000);
    await waitFor(async () => (await states())[0] === 'delivered', 10_000);
    const csv = await exportedCsv();
    expect(csv).toContain(FIRST_URL);
    expect(csv).toContain('seen on the café PC by a staff member');
    expect(csv).toContain(',abuse-demo.test,csem,chat,resolver,'); // host, category, where, source
    // The page keeps no URL: the outbox holds sealed reports only.
    expect(await page.content()).not.toContain('abuse-demo.test');
  });

  it('names the bad field and keeps the entries when a report is invalid', async () => {
    await page.goto(statusUrl);
    await page.fill('input[name=url]', 'ftp://abuse-demo.test/x');
    await page.fill('textarea[name=note]', 'kept');
    // The browser's own type=url check accepts ftp:, so the server's answer is what shows.
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/report')),
      page.click('button[type=submit]'),
    ]);
    expect(response.status()).toBe(400);
    expect(await page.textContent('#report-notice')).toBe(
      'Not sent: check “Address (URL) of the page”',
    );
    expect(await page.inputValue('textarea[name=note]')).toBe('kept');
    expect(await storedCount(intake)).toBe(1);
  });

  it("speaks the browser's language: Russian and Kyrgyz forms and notices, English otherwise", async () => {
    const page = async (lang: string) =>
      (await fetch(statusUrl, { headers: { 'accept-language': lang } })).text();
    expect(await page('ru-RU,ru;q=0.9,en;q=0.8')).toMatch(
      /<section id="reports" lang="ru"><h2>Сообщить о сайте<\/h2>.*Торговля детьми/s,
    );
    expect(await page('ky,ru;q=0.5')).toMatch(/lang="ky"><h2>Сайт тууралуу кабарлоо<\/h2>/);
    expect(await page('de-DE,fr;q=0.5')).toMatch(/lang="en"><h2>Report a site<\/h2>/);
    const refused = await fetch(`${statusUrl}/report`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'accept-language': 'ru' },
      body: 'url=x',
    });
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain('Отказано: отправлено не с этой страницы.');
  });

  it('refuses posts without the page token, from another origin, or through another host name', async () => {
    const body = new URLSearchParams({ url: SECOND_URL, category: 'other' }).toString();
    const post = (headers: Record<string, string>, form = body) =>
      fetch(`${statusUrl}/report`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
        body: form,
        redirect: 'manual',
      });
    expect((await post({})).status).toBe(403); // no Origin
    expect((await post({ origin: 'http://evil.example' })).status).toBe(403);
    expect((await post({ origin: statusUrl })).status).toBe(403); // no token
    expect((await post({ origin: statusUrl }, `${body}&token=${'0'.repeat(64)}`)).status).toBe(403);
    // The page's own token is not enough from another origin; with the right origin the post
    // passes the checks (an invalid report: 400, so nothing is queued).
    const html = await (await fetch(statusUrl)).text();
    const token = /name="token" value="([0-9a-f]{64})"/.exec(html)?.[1];
    expect(token).toBeDefined();
    const bad = new URLSearchParams({ url: 'not a url', category: 'other', token: token ?? '' });
    expect((await post({ origin: 'http://evil.example' }, bad.toString())).status).toBe(403);
    expect((await post({ origin: statusUrl }, bad.toString())).status).toBe(400);

    // A DNS-rebinding page reaches us under its own name: no page, no token, posts refused.
    const rebound = `rebound.example:${(kalkan as Kalkan).statusPort}`;
    const viaName = (method: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request(
          `${statusUrl}${method === 'POST' ? '/report' : '/'}`,
          {
            method,
            headers: {
              host: rebound,
              origin: `http://${rebound}`,
              'content-type': 'application/x-www-form-urlencoded',
            },
          },
          (res) => {
            let text = '';
            res.on('data', (d) => {
              text += d;
            });
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
          },
        );
        req.on('error', reject);
        req.end(method === 'POST' ? body : undefined);
      });
    // The status port answers only to its addresses and localhost (issue 12): 421 for the rest.
    const got = await viaName('GET');
    expect(got.status).toBe(421);
    expect(got.body).not.toContain('name="token"');
    expect((await viaName('POST')).status).toBe(421);

    // A page elsewhere auto-posting a form: Chromium sends its own Origin, which is refused.
    const other = await (browser as Browser).newPage();
    await other.setContent(
      `<form method="post" action="${statusUrl}/report"><input name="url" value="${SECOND_URL}"><input name="category" value="other"><button>go</button></form>`,
    );
    const [response] = await Promise.all([
      other.waitForResponse((r) => r.url().endsWith('/report')),
      other.click('button'),
    ]);
    expect(response.status()).toBe(403);
    await other.close();
    expect(await states()).toEqual(['delivered']);
  });

  it('queues while the intake is down and delivers once it is back', async () => {
    await intake.server?.stop();
    await report(SECOND_URL, 'grooming', 'social', '');
    await waitFor(async () => {
      await page.goto(statusUrl);
      const row = await page.textContent('#report-list tbody tr:first-child');
      return /queued \(\d+ attempts?/.test(row ?? '');
    }, 10_000);
    expect((await states())[0]).toBe('queued');

    await intake.start();
    await waitFor(async () => (await states())[0] === 'delivered', 40_000);
    expect(await states()).toEqual(['delivered', 'delivered']);
    expect(await storedCount(intake)).toBe(2);
    expect(await exportedCsv()).toContain(SECOND_URL);
  }, 55_000);
});
