/**
 * The café's console on the status port, through the built CLI, Chromium and dig: staff sign
 * in; a local block is in force when the page answers; an adult name allowed resolves; an abuse
 * name cannot be allowed and the review request reaches a running intake; check-a-name names
 * the list and the category. The console refuses strangers: no session, no CSRF token, a
 * rebinding Host, and a sign-in brute force.
 */

import { readFile } from 'node:fs/promises';
import { request } from 'node:http';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRIAGE_CATEGORY_DEFINITIONS } from '../../reporting/categories.js';
import { CATALOGUES } from '../../resolver/serve/language.js';
import { en } from '../../resolver/serve/messages/en.js';
import { launchChromium } from '../helpers/chromium.js';
import { addStaff, cookieOf, csrfOf, STAFF, signIn } from '../helpers/console.js';
import {
  ANALYST,
  analystCode,
  exportCsv,
  type IntakeFixture,
  intakeFixture,
  signIn as signInTriage,
  storedCount,
} from '../helpers/intake.js';
import {
  BLOCKED_BY_KALKAN,
  dig,
  type Kalkan,
  startKalkan,
  startUnbound,
  statusOf,
  tempDir,
  type Unbound,
  UPSTREAM_WILDCARD,
  waitFor,
} from '../helpers/resolver.js';

let tmp: Awaited<ReturnType<typeof tempDir>>;
let unbound: Unbound;
let intake: IntakeFixture;
let k: Kalkan;
let browser: Browser;
let page: Page;
let base: string;
const TIME_ZONE = 'Asia/Bishkek';
/** The kids' PC: dig asks from this address. */
const KIDS_PC = '127.0.0.3';

beforeAll(async () => {
  tmp = await tempDir('kalkan-console-');
  unbound = await startUnbound(tmp.dir, [], ['test.', 'example.']);
  intake = await intakeFixture();
  await intake.start();
  k = await startKalkan(tmp.dir, {
    upstreams: [`127.0.0.1:${unbound.port}`],
    reports: { intake: intake.url, unitKey: intake.pubPath },
    timeZone: TIME_ZONE,
  });
  // A comment the console's edits must keep.
  const { appendFile } = await import('node:fs/promises');
  await appendFile(k.configPath, '# kept by the console: the café owner wrote this\n');
  // Added while the resolver runs: accounts are read at each sign-in.
  await addStaff(k.configPath);
  base = `http://127.0.0.1:${k.statusPort}`;
  browser = await launchChromium();
  page = await browser.newPage();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await k?.stop();
  await intake?.server?.stop();
  await unbound?.stop();
  await tmp?.remove();
});

async function addRule(name: string, action: 'allow' | 'block', note: string): Promise<string> {
  await page.fill('#add-rule input[name=name]', name);
  await page.selectOption('#add-rule select[name=action]', action);
  await page.fill('#add-rule input[name=note]', note);
  await Promise.all([page.waitForNavigation(), page.click('#add-rule button[type=submit]')]);
  return (await page.textContent('#notice')) ?? '';
}

describe('the console in Chromium, signed in', () => {
  it('asks for a sign-in first and then shows who is signed in', async () => {
    await page.goto(`${base}/console`);
    expect(new URL(page.url()).pathname).toBe('/console/sign-in');
    await page.fill('input[name=user]', STAFF.user);
    await page.fill('input[name=password]', 'not the password at all');
    await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
    expect(await page.textContent('#notice')).toContain('Wrong name or password');
    await page.fill('input[name=user]', STAFF.user);
    await page.fill('input[name=password]', STAFF.password);
    await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
    expect(new URL(page.url()).pathname).toBe('/console');
    expect(await page.textContent('#who')).toBe(STAFF.user);
  });

  it('adds a local block that dig shows blocked by Kalkan when the page has answered', async () => {
    const before = await dig(k.port, 'www.games.example');
    expect(statusOf(before)).toBe('NOERROR');
    expect(before).toContain(UPSTREAM_WILDCARD.A);
    const started = performance.now();
    expect(await addRule('games.example', 'block', 'not during school hours')).toContain(
      'Blocked games.example',
    );
    const after = await dig(k.port, 'www.games.example');
    const ms = performance.now() - started;
    expect(statusOf(after)).toBe('NXDOMAIN');
    expect(after).toMatch(BLOCKED_BY_KALKAN);
    expect(after).toContain('category adult, list local');
    expect(ms).toBeLessThan(5000);
    console.log(`local block in force ${ms.toFixed(0)} ms after the click`);
    const rules = await page.locator('#rules tbody tr').allInnerTexts();
    expect(rules.some((r) => r.includes('games.example') && r.includes(STAFF.user))).toBe(true);
    const yaml = await readFile(k.configPath, 'utf8');
    expect(yaml).toContain('# kept by the console: the café owner wrote this');
    expect(yaml).toMatch(/- name: games\.example\n\s+action: block/);
  });

  it('allows an adult name, which then resolves', async () => {
    const before = await dig(k.port, 'adult-demo.test');
    expect(before).toMatch(BLOCKED_BY_KALKAN);
    expect(await addRule('adult-demo.test', 'allow', 'a shop the café uses')).toContain(
      'Allowed adult-demo.test',
    );
    const after = await dig(k.port, 'adult-demo.test');
    expect(statusOf(after)).toBe('NOERROR');
    expect(after).toContain(UPSTREAM_WILDCARD.A);
  });

  it('refuses to allow an abuse name and sends the review request to the intake', async () => {
    const stored = await storedCount(intake);
    const notice = await addRule('www.abuse-demo.test', 'allow', 'please');
    expect(notice).toContain('cannot be allowed here');
    expect(await dig(k.port, 'www.abuse-demo.test')).toMatch(BLOCKED_BY_KALKAN);
    expect(await readFile(k.configPath, 'utf8')).not.toContain('abuse-demo');
    await page.fill('#review input[name=note]', 'a school site shares this name');
    await Promise.all([page.waitForNavigation(), page.click('#review button[type=submit]')]);
    expect(await page.textContent('#notice')).toContain('Review request for www.abuse-demo.test');
    await waitFor(async () => (await storedCount(intake)) === stored + 1, 20_000, 'review stored');
    const csv = await exportCsv(intake);
    expect(csv.stdout).toContain('http://www.abuse-demo.test/');
    expect(csv.stdout).toContain('a school site shares this name');
    // At the unit, a review request of its own, not "something else that harms children".
    const line = csv.stdout.split('\n').find((l) => l.includes('http://www.abuse-demo.test/'));
    expect(line).toContain(',review_request,');
    const triage = await browser.newPage();
    try {
      await signInTriage(triage, intake, ANALYST, analystCode(intake));
      const row = triage.locator('tr.report-group', { hasText: 'http://www.abuse-demo.test/' });
      const categories = await row.locator('abbr').allInnerTexts();
      expect(categories).toEqual([TRIAGE_CATEGORY_DEFINITIONS.review_request.label.en]);
    } finally {
      await triage.close();
    }
  });

  it('refuses an invalid change with the key and the reason, and keeps the file', async () => {
    await page.fill('#add-rule input[name=category]', 'abuse');
    const notice = await addRule('other.example', 'block', 'wrong category');
    expect(notice).toMatch(/localRules\[\d+\]\.category: "abuse" is the unit's category/);
    expect(await readFile(k.configPath, 'utf8')).not.toContain('other.example');
    expect(statusOf(await dig(k.port, 'other.example'))).toBe('NOERROR');
  });

  it('checks a name or URL: verdict, category, list, policy and the upstream answer', async () => {
    await page.fill('#check input[name=name]', 'https://www.abuse-demo.test/some/page');
    await Promise.all([page.waitForNavigation(), page.click('#check button[type=submit]')]);
    const rows = (await page.locator('#check-result tr').allInnerTexts()).join('\n');
    expect(rows).toMatch(/Verdict\s+blocked/);
    expect(rows).toMatch(/Category\s+abuse/);
    expect(rows).toMatch(/List\s+demo-abuse/);
    expect(rows).toMatch(/Policy\s+default/);
    expect(rows).toContain(UPSTREAM_WILDCARD.A);
  });
});

describe('devices and schedules in Chromium', () => {
  const submit = async (form: string) => {
    await Promise.all([page.waitForNavigation(), page.click(`${form} button[type=submit]`)]);
    return (await page.textContent('#notice')) ?? '';
  };
  const fromKidsPc = (name: string) => dig(k.port, name, 'A', ['-b', KIDS_PC]);
  const hourThere = () =>
    Number(
      new Intl.DateTimeFormat('en-GB', {
        timeZone: TIME_ZONE,
        hour: '2-digit',
        hourCycle: 'h23',
      }).format(new Date()),
    );
  const at = (h: number) => `${String((h + 24) % 24).padStart(2, '0')}:00`;
  const addWindow = async (from: string, to: string) => {
    await page.selectOption('#schedule select[name=policy]', 'children');
    for (const box of await page.locator('#schedule input[name=days]').all()) await box.check();
    await page.fill('#schedule input[name=from]', from);
    await page.fill('#schedule input[name=to]', to);
    await page.fill('#schedule input[name=categories]', 'abuse, adult');
    return submit('#schedule');
  };
  const blocksNow = async () =>
    (await page.textContent('tr[data-policy=children] .now-blocks')) ?? '';

  it("names a device, gives it the children's policy, and turns adult blocking on and off by schedule", async () => {
    await page.goto(`${base}/console`);
    await page.fill('#add-policy input[name=name]', 'children');
    await page.fill('#add-policy input[name=categories]', 'abuse');
    expect(await submit('#add-policy')).toContain('Saved policy children');
    await page.fill('#add-device input[name=name]', 'Kids corner PC');
    await page.fill('#add-device input[name=address]', KIDS_PC);
    await page.selectOption('#add-device select[name=policy]', 'children');
    expect(await submit('#add-device')).toContain('Device Kids corner PC gets policy children');
    expect(await page.textContent('#devices')).toContain(`Time zone ${TIME_ZONE}`);

    // games.example is a local adult block: the kids' policy blocks only abuse outside its hours.
    expect(await dig(k.port, 'www.games.example')).toMatch(BLOCKED_BY_KALKAN);
    expect(statusOf(await fromKidsPc('www.games.example'))).toBe('NOERROR');
    expect(await fromKidsPc('www.abuse-demo.test')).toMatch(BLOCKED_BY_KALKAN);
    expect(await blocksNow()).toBe('abuse');

    // A window around the present hour in the café's zone: adult blocking on.
    const h = hourThere();
    expect(await addWindow(at(h - 1), at(h + 2))).toContain('Schedule of children saved');
    expect(await blocksNow()).toBe('abuse, adult');
    expect(await fromKidsPc('www.games.example')).toMatch(BLOCKED_BY_KALKAN);
    const yaml = await readFile(k.configPath, 'utf8');
    expect(yaml).toMatch(/schedule:\n\s+- days:/);

    // Only a window later today: off again.
    await Promise.all([
      page.waitForNavigation(),
      page.click('tr[data-policy=children] button[type=submit]'),
    ]);
    expect(await addWindow(at(h + 3), at(h + 4))).toContain('Schedule of children saved');
    expect(await blocksNow()).toBe('abuse');
    expect(statusOf(await fromKidsPc('www.games.example'))).toBe('NOERROR');
  });

  it('refuses a device naming a policy that does not exist, with the key', async () => {
    await page.goto(`${base}/console`);
    await page.fill('#add-device input[name=name]', 'Ghost');
    await page.fill('#add-device input[name=address]', '127.0.0.4');
    await page.evaluate(() => {
      const select = document.querySelector('#add-device select[name=policy]');
      select?.insertAdjacentHTML('beforeend', '<option value="nobody">nobody</option>');
    });
    await page.selectOption('#add-device select[name=policy]', 'nobody');
    expect(await submit('#add-device')).toMatch(/devices\[\d+\]\.policy: "nobody" is not a policy/);
  });
});

describe('what happened, in Chromium', () => {
  it('renders the daily charts, the lists and the upstreams in the café time zone, aggregate only', async () => {
    await page.goto(`${base}/console`);
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: TIME_ZONE }).format(new Date());
    for (const id of ['#chart-queries', '#chart-blocked']) {
      const box = await page.locator(id).boundingBox();
      expect(box?.width).toBeGreaterThan(100);
      expect(box?.height).toBeGreaterThan(100);
    }
    const bars = await page
      .locator('#chart-blocked rect.bar')
      .evaluateAll((rects) =>
        rects.map(
          (r) =>
            `${r.getAttribute('data-day')} ${r.getAttribute('data-series')} ${r.getBoundingClientRect().height > 0}`,
        ),
      );
    expect(bars).toContain(`${today} abuse true`);
    expect(bars).toContain(`${today} adult true`);
    expect(await page.locator('#chart-queries rect.bar').count()).toBeGreaterThan(0);
    const lists = await page.locator('#activity-lists tbody tr').allInnerTexts();
    expect(lists.some((r) => r.includes('demo-abuse') && r.includes('abuse'))).toBe(true);
    const upstream = (await page.locator('#activity-upstreams tbody tr').allInnerTexts()).join(
      '\n',
    );
    expect(upstream).toContain(`127.0.0.1:${unbound.port}`);
    expect(upstream).toContain('up');
    const text = (await page.textContent('#activity')) ?? '';
    expect(text).toContain(`Days and times in ${TIME_ZONE}`);
    expect(text).not.toContain('games.example');
    expect(text).not.toContain(KIDS_PC);
  });
});

describe('languages, in Chromium', () => {
  it('follows Accept-Language, switches with the links, and shows no English string in ru or ky', async () => {
    const russian = await browser.newContext({ locale: 'ru-RU' });
    try {
      const ru = await russian.newPage();
      await ru.goto(`${base}/console/sign-in`);
      expect(await ru.getAttribute('html', 'lang')).toBe('ru');
      await ru.fill('input[name=user]', STAFF.user);
      await ru.fill('input[name=password]', STAFF.password);
      await Promise.all([ru.waitForNavigation(), ru.click('button[type=submit]')]);
      expect(await ru.textContent('h1')).toBe('Консоль Kalkan');
      expect(englishOnPage((await ru.textContent('body')) ?? '', 'ru')).toEqual([]);
      await Promise.all([ru.waitForNavigation(), ru.click('#language a[hreflang=ky]')]);
      expect(await ru.getAttribute('html', 'lang')).toBe('ky');
      expect(await ru.textContent('h1')).toBe('Kalkan консолу');
      expect(englishOnPage((await ru.textContent('body')) ?? '', 'ky')).toEqual([]);
      // The choice is remembered: the status page follows it, its report form too.
      await ru.goto(`${base}/`);
      expect(await ru.getAttribute('html', 'lang')).toBe('ky');
      expect(await ru.getAttribute('#reports', 'lang')).toBe('ky');
      expect(englishOnPage((await ru.textContent('body')) ?? '', 'ky')).toEqual([]);
    } finally {
      await russian.close();
    }
  });
});

/** English strings of the catalogue on a page (placeholders cut out), except those ky/ru keep. */
function englishOnPage(text: string, lang: 'ru' | 'ky'): string[] {
  return Object.entries(en).flatMap(([key, value]) =>
    value
      .split(/\{\w+\}/)
      .map((part) => part.trim())
      .filter(
        (part) =>
          part.length > 3 &&
          key !== 'lang.name' &&
          !CATALOGUES[lang][key as keyof typeof en].includes(part) &&
          text.includes(part),
      )
      .map((part) => `${key}: ${part}`),
  );
}

interface RawOptions {
  method?: string;
  host?: string;
  from?: string;
  body?: string;
  cookie?: string;
}

/** A raw request with any Host and source address (Node's fetch sets neither): its status. */
async function raw(path: string, options: RawOptions): Promise<number> {
  return (await rawResponse(path, options)).status;
}

function rawResponse(
  path: string,
  options: RawOptions,
): Promise<{ status: number; body: string; setCookie: string[] }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: k.statusPort,
        path,
        method: options.method ?? 'GET',
        localAddress: options.from,
        headers: {
          host: options.host ?? `127.0.0.1:${k.statusPort}`,
          'content-type': 'application/x-www-form-urlencoded',
          ...(options.cookie && { cookie: options.cookie }),
        },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          body += d;
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body,
            setCookie: res.headers['set-cookie'] ?? [],
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(options.body ?? '');
  });
}

describe('the console refuses strangers', () => {
  it('answers nothing without a session', async () => {
    expect(await raw('/console', {})).toBe(303);
    expect(
      await raw('/console/rules', { method: 'POST', body: 'name=x.example&action=block' }),
    ).toBe(401);
    expect(await raw('/console/check', { method: 'POST', body: 'name=x.example' })).toBe(401);
  });

  it('refuses a rebinding Host, signed in or not', async () => {
    const session = await signIn(k.statusPort);
    expect(await raw('/console', { host: 'rebound.example', cookie: session.cookie })).toBe(421);
    expect(await raw('/console/sign-in', { host: 'rebound.example:80' })).toBe(421);
  });

  it('refuses a form without the CSRF token or with another session token', async () => {
    const session = await signIn(k.statusPort);
    const other = await signIn(k.statusPort);
    const body = 'name=csrf.example&action=block&category=adult';
    expect(await raw('/console/rules', { method: 'POST', body, cookie: session.cookie })).toBe(403);
    expect(
      await raw('/console/rules', {
        method: 'POST',
        body: `${body}&_csrf=${encodeURIComponent(other.csrf)}`,
        cookie: session.cookie,
      }),
    ).toBe(403);
    expect(await readFile(k.configPath, 'utf8')).not.toContain('csrf.example');
  });

  it('limits check-a-name per account, so it cannot walk a hashed list', async () => {
    const session = await signIn(k.statusPort);
    const statuses: number[] = [];
    for (let i = 0; i < 25; i++)
      statuses.push((await session.post('/console/check', { name: `probe-${i}.test` })).status);
    const answered = statuses.filter((s) => s === 200).length;
    expect(answered).toBeGreaterThan(0);
    expect(answered).toBeLessThanOrEqual(20);
    expect(statuses.slice(answered)).toEqual(Array(25 - answered).fill(429));
    // Another session of the same account shares the limit.
    const again = await signIn(k.statusPort);
    expect((await again.post('/console/check', { name: 'one-more.test' })).status).toBe(429);
  });

  it('throttles sign-in attempts from one address', async () => {
    // From 127.0.0.2 so the other tests' address keeps its attempts.
    const form = await fetch(`${base}/console/sign-in`);
    const cookie = (form.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())?.[1] ?? '';
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++)
      statuses.push(
        await raw('/console/sign-in', {
          method: 'POST',
          from: '127.0.0.2',
          cookie,
          body: new URLSearchParams({
            _csrf: csrf,
            user: STAFF.user,
            password: `guess ${i}`,
          }).toString(),
        }),
      );
    // Ten tries a minute per address, then 429 until the minute is over.
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
    expect(statuses.slice(10)).toEqual([429, 429]);
    // Even the right password is refused until the window passes.
    expect(
      await raw('/console/sign-in', {
        method: 'POST',
        from: '127.0.0.2',
        cookie,
        body: new URLSearchParams({ _csrf: csrf, ...STAFF }).toString(),
      }),
    ).toBe(429);
  });

  it('throttles sign-in attempts for one account from many addresses together', async () => {
    await addStaff(k.configPath, { user: 'bea', password: STAFF.password });
    const form = await fetch(`${base}/console/sign-in`);
    const cookie = cookieOf(form);
    const csrf = csrfOf(await form.text());
    const attempt = (from: string, user: string, password: string, session = { cookie, csrf }) =>
      rawResponse('/console/sign-in', {
        method: 'POST',
        from,
        cookie: session.cookie,
        body: new URLSearchParams({ _csrf: session.csrf, user, password }).toString(),
      });
    // Bea signs in once from her own browser (attempt 1 of the account's 20), which keeps a
    // known-device token for her account. (Its own form: signing in renews the session.)
    const own = await fetch(`${base}/console/sign-in`);
    const ownSession = { cookie: cookieOf(own), csrf: csrfOf(await own.text()) };
    const signedIn = await attempt('127.0.3.1', 'bea', STAFF.password, ownSession);
    expect(signedIn.status).toBe(303);
    const device = signedIn.setCookie
      .map((c) => c.split(';')[0] as string)
      .find((c) => c.startsWith('kalkan_console_device='));
    expect(device).toBeDefined();
    // Seven addresses, three guesses each: every address stays under its own limit of ten.
    const statuses: number[] = [];
    for (let a = 1; a <= 7; a++)
      for (let i = 0; i < 3; i++)
        statuses.push((await attempt(`127.0.1.${a}`, 'bea', `guess ${a}-${i}`)).status);
    expect(statuses.slice(0, 19)).toEqual(Array(19).fill(401));
    expect(statuses.slice(19)).toEqual([429, 429]);
    // The right password from an address never seen: refused, saying why.
    const locked = await attempt('127.0.2.1', 'bea', STAFF.password);
    expect(locked.status).toBe(429);
    expect(locked.body).toContain(en['signIn.tooManyForAccount'].split('{')[0]);
    // Another account is not locked by it.
    expect((await attempt('127.0.2.2', STAFF.user, STAFF.password)).status).toBe(303);
    // Bea's own browser is not locked out by the guesses; a token with a forged MAC is worth
    // nothing.
    const later = await fetch(`${base}/console/sign-in`);
    const laterSession = { cookie: cookieOf(later), csrf: csrfOf(await later.text()) };
    const withToken = (token: string) =>
      attempt('127.0.3.1', 'bea', STAFF.password, {
        cookie: `${laterSession.cookie}; ${token}`,
        csrf: laterSession.csrf,
      });
    expect((await withToken(`${(device as string).slice(0, -4)}AAAA`)).status).toBe(429);
    expect((await withToken(device as string)).status).toBe(303);
  });
});
