/**
 * The intake under a flood and behind the unit's TLS proxy, all through a real `kalkan intake
 * serve`: quotas per client, per IPv6 /64 and in total; stored size capped per report and in all
 * (413, 507, metrics); slow requests cut off; Secure cookies by default; sign-in throttled per
 * client and per account, so a flood of bad sign-ins from one client does not lock analysts out.
 * The proxy is simulated by sending from loopback with X-Forwarded-For/-Proto, which the intake
 * believes only from the addresses given with --trust-proxy.
 */
import { readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeUnitPublicKey } from '../../reporting/keys.js';
import { newReport } from '../../reporting/schema.js';
import { type SealedReport, sealReport } from '../../reporting/seal.js';
import { ANALYST, analystCode, type IntakeFixture, intakeFixture } from '../helpers/intake.js';

let proxied: IntakeFixture;
let small: IntakeFixture;

beforeAll(async () => {
  [proxied, small] = await Promise.all([intakeFixture(), intakeFixture()]);
  await proxied.start(
    [
      '--trust-proxy',
      '127.0.0.1',
      '--trust-proxy',
      '::1/128',
      '--reports-per-minute',
      '3',
      '--reports-per-minute-per-64',
      '5',
      '--reports-per-minute-total',
      '1000',
    ],
    { secure: true },
  );
  await small.start(['--reports-per-minute-total', '6', '--max-stored-mb', '0']);
});

afterAll(async () => {
  await Promise.all([proxied?.server?.stop(), small?.server?.stop()]);
});

async function sealedFor(fixture: IntakeFixture, note?: string): Promise<SealedReport> {
  const key = decodeUnitPublicKey(await readFile(fixture.pubPath, 'utf8'), fixture.pubPath);
  const report = newReport(
    { url: 'https://abuse-demo.test/flood', category: 'other', ...(note ? { note } : {}) },
    { source: 'cli' },
  );
  return sealReport(report, key);
}

async function post(
  fixture: IntakeFixture,
  sealed: SealedReport | string,
  headers: Record<string, string> = {},
) {
  const body = typeof sealed === 'string' ? sealed : JSON.stringify(sealed);
  const id = typeof sealed === 'string' ? '' : sealed.id;
  const response = await fetch(`${fixture.url}/v1/reports`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': id, ...headers },
    body,
  });
  const json = (await response.json()) as { error?: string };
  return { status: response.status, error: json.error ?? '' };
}

const from = (address: string) => ({ 'x-forwarded-for': address });

async function signIn(fixture: IntakeFixture, client: string, password: string, code: string) {
  const response = await fetch(`${fixture.url}/triage/login`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-forwarded-for': client,
      'x-forwarded-proto': 'https',
    },
    body: new URLSearchParams({ user: ANALYST.user, password, code }).toString(),
    redirect: 'manual',
  });
  await response.body?.cancel();
  return { status: response.status, cookie: response.headers.get('set-cookie') ?? '' };
}

describe('quotas see the client behind a trusted proxy', () => {
  it('counts each forwarded client on its own: one is refused, another still reports', async () => {
    const statuses = [];
    for (let i = 0; i < 4; i++) {
      statuses.push((await post(proxied, await sealedFor(proxied), from('192.0.2.10'))).status);
    }
    expect(statuses).toEqual([201, 201, 201, 429]);
    const other = await post(proxied, await sealedFor(proxied), from('192.0.2.11'));
    expect(other.status).toBe(201);
  });

  it('counts the addresses of one IPv6 /64 together', async () => {
    const statuses = [];
    for (let i = 1; i <= 6; i++) {
      const address = `2001:db8:aa:bb::${i.toString(16)}`;
      statuses.push((await post(proxied, await sealedFor(proxied), from(address))).status);
    }
    expect(statuses.slice(0, 5)).toEqual([201, 201, 201, 201, 201]);
    const sixth = await post(proxied, await sealedFor(proxied), from('2001:db8:aa:bb::ff'));
    expect(sixth).toMatchObject({ status: 429, error: expect.stringContaining('this network') });
    // Another /64 is not affected.
    expect((await post(proxied, await sealedFor(proxied), from('2001:db8:aa:cc::1'))).status).toBe(
      201,
    );
  });

  it('a flood of bad sign-ins from one client locks out that client, not the analyst', async () => {
    const attacker = '198.51.100.66';
    const statuses = [];
    for (let i = 0; i < 11; i++) {
      statuses.push((await signIn(proxied, attacker, 'not the password', '000000')).status);
    }
    expect(statuses.slice(0, 10).every((s) => s === 401)).toBe(true);
    expect(statuses[10]).toBe(429);
    const analyst = await signIn(proxied, '203.0.113.5', ANALYST.password, analystCode(proxied));
    expect(analyst.status).toBe(303);
    // Behind the TLS proxy the session cookie is Secure, HttpOnly and SameSite=Strict.
    expect(analyst.cookie).toMatch(/^kalkan_triage=.*; HttpOnly; Secure; SameSite=Strict/);
    // Ten failures became one counted line, and nothing that was typed.
    const triage = await fetch(`${proxied.url}/triage`, {
      headers: { cookie: analyst.cookie.split(';')[0] ?? '', 'x-forwarded-proto': 'https' },
    });
    const html = await triage.text();
    expect(html).toContain('sign-in failed ×10');
    expect(html).not.toContain('not the password');
  });

  it('bad sign-ins spread over many clients are throttled per account', async () => {
    let answer = { status: 0, text: '' };
    for (let i = 1; i <= 25 && answer.status !== 429; i++) {
      const response = await fetch(`${proxied.url}/triage/login`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'x-forwarded-for': `198.51.100.${i}`,
          'x-forwarded-proto': 'https',
        },
        body: new URLSearchParams({
          user: ANALYST.user,
          password: 'guess',
          code: '000000',
        }).toString(),
      });
      answer = { status: response.status, text: await response.text() };
    }
    expect(answer.status).toBe(429);
    expect(answer.text).toContain('for this account');
  });

  it('a sign-in that does not come through TLS is refused with the reason (Secure cookies by default)', async () => {
    const response = await fetch(`${proxied.url}/triage/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ user: ANALYST.user, password: 'x', code: '1' }).toString(),
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('Sign-in needs HTTPS');
  });
});

describe('the intake caps what a flood can store', () => {
  it('refuses a padded sealed report (413) and, with the store full, answers 507 and counts it', async () => {
    const padded = await sealedFor(small);
    const oversized = { ...padded, ct: `${padded.ct}${'A'.repeat(9 * 1024)}` };
    const answer = await post(small, JSON.stringify(oversized), {
      'idempotency-key': padded.id,
    });
    expect(answer).toMatchObject({
      status: 413,
      error: expect.stringContaining('more than a valid report'),
    });
    const full = await post(small, await sealedFor(small));
    expect(full).toMatchObject({ status: 507, error: expect.stringContaining('no room') });
    const metrics = await (await fetch(`${small.url}/metrics`)).text();
    expect(metrics).toMatch(/kalkan_intake_reports_refused_total\{reason="store_full"\} 1/);
    expect(metrics).toMatch(/kalkan_intake_reports_refused_total\{reason="too_large"\} 1/);
    expect(metrics).toMatch(/kalkan_intake_stored_bytes 0/);
  });

  it('holds a global quota whatever the address', async () => {
    // 6 a minute in all; two were spent above. Well before 8 more, the quota answers.
    const answers = [];
    for (let i = 0; i < 8 && answers.at(-1)?.status !== 429; i++)
      answers.push(await post(small, '{}'));
    expect(answers.at(-1)).toMatchObject({ status: 429, error: expect.stringContaining('busy') });
    expect(answers.slice(0, -1).every((a) => a.status === 400)).toBe(true);
  });

  it('cuts off a client that sends its request slowly, within the configured timeouts', async () => {
    // Positive control: a whole request is answered.
    expect((await fetch(`${small.url}/healthz`)).status).toBe(200);
    const started = Date.now();
    const closed = await new Promise<number>((resolve, reject) => {
      const socket = connect(small.port, '127.0.0.1', () => {
        socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
        // One header byte a second, never finishing: a slowloris.
        const drip = setInterval(() => socket.write('X'), 1_000);
        socket.on('close', () => {
          clearInterval(drip);
          resolve(Date.now() - started);
        });
      });
      socket.on('error', () => undefined);
      setTimeout(() => reject(new Error('still open after 30 s')), 30_000);
    });
    // headersTimeout 5 s, checked every second; generous room on a busy machine.
    expect(closed).toBeLessThan(15_000);
  });
});
