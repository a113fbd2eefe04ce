/**
 * End to end, all real: `kalkan reports submit` reaches a running `kalkan intake` over HTTP; an
 * analyst signs in to the triage page in Chromium, sees the reports grouped, confirms one URL
 * with a CSAM classification and rejects another; the XARF export validates; promote writes the
 * confirmed host into a list source that `kalkan lists build` turns into a bundle that blocks it.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/chromium.js';
import {
  ANALYST,
  analystCode,
  type IntakeFixture,
  intakeFixture,
  storedCount,
} from '../helpers/intake.js';
import { runKalkan } from '../helpers/kalkan-process.js';
import { xarfErrors } from '../helpers/xarf-validator.js';

const CONFIRM_URL = 'https://abuse-demo.test/gallery?page=2';
const REJECT_URL = 'http://csam-demo.example/forum';

let intake: IntakeFixture;
let browser: Browser | undefined;

beforeAll(async () => {
  intake = await intakeFixture();
  await intake.start();
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await intake?.server?.stop();
});

function submit(url: string, category: string, extra: string[] = []) {
  return runKalkan([
    'reports',
    'submit',
    url,
    '--category',
    category,
    ...extra,
    '--intake',
    intake.url,
    '--unit-key',
    intake.pubPath,
    '--data',
    join(intake.dir, 'client'),
  ]);
}

const intakeArgs = () => ['--data', intake.dataDir, '--key', intake.keyPath];

describe('report → intake → triage → XARF → list', () => {
  it('kalkan reports submit delivers sealed reports', async () => {
    const results = [
      await submit(CONFIRM_URL, 'csam_suspected', ['--note', 'link posted in a game chat']),
      await submit(CONFIRM_URL, 'csem', ['--where', 'chat']),
      await submit(REJECT_URL, 'other'),
    ];
    for (const r of results) {
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^[0-9a-f-]{36} \w+ delivered at /);
    }
    expect(await storedCount(intake)).toBe(3);
  });

  it('keeps report contents sealed at rest, at the intake and in the outbox', async () => {
    for (const file of ['intake.sqlite', 'intake.sqlite-wal']) {
      const bytes = await readFile(join(intake.dataDir, file)).catch(() => Buffer.alloc(0));
      expect(bytes.includes('abuse-demo.test')).toBe(false);
      expect(bytes.includes('game chat')).toBe(false);
    }
    for (const file of ['reports-outbox.sqlite', 'reports-outbox.sqlite-wal']) {
      const bytes = await readFile(join(intake.dir, 'client', file)).catch(() => Buffer.alloc(0));
      expect(bytes.includes('abuse-demo.test')).toBe(false);
    }
  });

  it('an analyst signs in, sees the grouped reports and decides', async () => {
    const page = await (browser as Browser).newPage();
    // The page must never make the browser fetch a reported URL.
    const requested: string[] = [];
    page.on('request', (r) => requested.push(r.url()));
    await page.goto(`${intake.url}/triage`);
    await page.fill('input[name=user]', ANALYST.user);
    await page.fill('input[name=password]', 'wrong password here');
    await page.fill('input[name=code]', analystCode(intake));
    await page.click('button[type=submit]');
    await expect
      .poll(() => page.textContent('[role=alert]'))
      .toContain('Wrong user, password or code');
    await page.fill('input[name=user]', ANALYST.user);
    await page.fill('input[name=password]', ANALYST.password);
    await page.fill('input[name=code]', analystCode(intake));
    await page.click('button[type=submit]');
    await page.waitForSelector('h1:has-text("Reports (3)")');

    const host = page.locator('section.host[data-host="abuse-demo.test"]');
    expect(await host.locator('p.muted').first().textContent()).toContain('2 report(s)');
    expect(await host.locator('abbr').first().getAttribute('title')).toMatch(/child sexual/);
    const row = page.locator(`tr.report-group[data-url="${CONFIRM_URL}"]`);
    expect(await row.locator('.count').textContent()).toBe('2');
    expect(await row.locator('.status').textContent()).toBe('new');
    expect(await row.textContent()).toContain('link posted in a game chat');

    await row.locator('select[name=classification]').selectOption('A1');
    await row.locator('button[value=confirmed]').click();
    await page.waitForSelector(
      `tr.report-group[data-url="${CONFIRM_URL}"] .status:has-text("confirmed (CSAM A1)")`,
    );
    await page.locator(`tr.report-group[data-url="${REJECT_URL}"] button[value=rejected]`).click();
    await page.waitForSelector(
      `tr.report-group[data-url="${REJECT_URL}"] .status:has-text("rejected")`,
    );

    const audit = await page.locator('table').last().textContent();
    expect(audit).toContain('mark confirmed');
    expect(audit).toContain('classification A1');
    expect(audit).toContain('mark rejected');
    expect(audit).toContain('sign-in failed');

    // A form posted without the session's CSRF token is refused and changes nothing.
    const forged = await page.request.post(`${intake.url}/triage/mark`, {
      form: { group: 'x', through: '1', status: 'confirmed', csrf: 'forged' },
    });
    expect(forged.status()).toBe(403);
    await page.reload();
    const status = page.locator(`tr.report-group[data-url="${REJECT_URL}"] .status`);
    expect(await status.textContent()).toBe('rejected');
    expect(requested.filter((u) => !u.startsWith(intake.url))).toEqual([]);
    await page.close();
  });

  it('exports XARF v4 that validates: content/csam once classified, rejected ones left out', async () => {
    const out = join(intake.dir, 'export.jsonl');
    const result = await runKalkan([
      'intake',
      'export',
      ...intakeArgs(),
      '--format',
      'xarf',
      '-o',
      out,
    ]);
    expect(result.stderr).toBe('');
    const docs = (await readFile(out, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(docs).toHaveLength(2);
    for (const doc of docs) {
      expect(xarfErrors(doc)).toEqual([]);
      expect(doc).toMatchObject({ type: 'csam', classification: 'A1', url: CONFIRM_URL });
    }
    const csv = await runKalkan(['intake', 'export', ...intakeArgs(), '--format', 'csv']);
    expect(csv.stdout.split('\r\n')[0]).toMatch(/^id,received_at,seen_at/);
    expect(csv.stdout).toContain(',confirmed,A1,link posted in a game chat,');
    expect(csv.stdout).not.toContain(REJECT_URL);
  });

  it('promotes the confirmed host into a list that kalkan lists build makes a blocking bundle', async () => {
    const list = join(intake.dir, 'confirmed.txt');
    const promoted = await runKalkan(['intake', 'promote', ...intakeArgs(), '-o', list]);
    expect(promoted.stdout).toContain('1 host(s) added');
    const text = await readFile(list, 'utf8');
    expect(text).toContain('\nabuse-demo.test\n');
    expect(text).not.toContain('csam-demo.example');
    const bundle = join(intake.dir, 'confirmed.klb');
    const build = await runKalkan([
      'lists',
      'build',
      list,
      '--id',
      'unit-confirmed',
      '--category',
      'abuse',
      '--sequence',
      '1',
      '--key',
      'blocklists/demo/demo-publisher.key',
      '-o',
      bundle,
    ]);
    expect(build.code, build.stderr).toBe(0);
    const lookup = await runKalkan([
      'lists',
      'lookup',
      'https://www.abuse-demo.test/any',
      '--list',
      bundle,
      '--trust',
      'blocklists/demo/demo-publisher.pub',
    ]);
    expect(lookup.stdout).toMatch(/blocked/i);
    const again = await runKalkan(['intake', 'promote', ...intakeArgs(), '-o', list]);
    expect(again.stdout).toContain('0 host(s) added, 1 in');
  });

  it("promotes a URL on a shared host as a URL entry, so the host's other pages stay open", async () => {
    const shared = join(intake.dir, 'shared-hosts.txt');
    await writeFile(shared, '# test hosting platform\nabuse-demo.test\n');
    const list = join(intake.dir, 'confirmed.csv');
    const promoted = await runKalkan([
      'intake',
      'promote',
      ...intakeArgs(),
      '-o',
      list,
      '--shared-hosts',
      shared,
    ]);
    expect(promoted.stdout).toContain('1 entr(ies) added');
    expect(await readFile(list, 'utf8')).toBe(`url\n${CONFIRM_URL}\n`);
    // Into a plain domain list the URL does not fit: it is named, not turned into a host entry.
    const txt = await runKalkan([
      'intake',
      'promote',
      ...intakeArgs(),
      '-o',
      join(intake.dir, 'shared.txt'),
      '--shared-hosts',
      shared,
    ]);
    expect(txt.stderr).toContain(`need URL entries`);
    expect(txt.stdout).toContain('0 host(s) added, 0 in');
    const bundle = join(intake.dir, 'confirmed-urls.klb');
    const build = await runKalkan([
      'lists',
      'build',
      list,
      '--id',
      'unit-confirmed-urls',
      '--category',
      'abuse',
      '--sequence',
      '1',
      '--key',
      'blocklists/demo/demo-publisher.key',
      '-o',
      bundle,
    ]);
    expect(build.code, build.stderr).toBe(0);
    const lookup = (url: string) =>
      runKalkan([
        'lists',
        'lookup',
        url,
        '--list',
        bundle,
        '--trust',
        'blocklists/demo/demo-publisher.pub',
      ]);
    expect((await lookup(CONFIRM_URL)).stdout).toMatch(/blocked/i);
    expect((await lookup('https://abuse-demo.test/someone-else')).stdout).not.toMatch(/blocked/i);
  });
});
