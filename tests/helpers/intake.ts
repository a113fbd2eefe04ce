/** A real `kalkan intake` for tests: keys and an analyst in a temp dir, the server on a free port. */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { totpCode } from '../../resolver/intake/totp.js';
import { type LongRunning, type RunResult, runKalkan, startKalkan } from './kalkan-process.js';
import { freePort } from './ports.js';

export const ANALYST = { user: 'alice', password: 'correct horse battery staple' };
/** A supervisor, for tests that add one with `addAccount(..., 'supervisor')`. */
export const SUPERVISOR = { user: 'sam', password: 'supervisor passphrase 1' };

export interface IntakeFixture {
  dir: string;
  unitDir: string;
  dataDir: string;
  keyPath: string;
  pubPath: string;
  port: number;
  url: string;
  server?: LongRunning;
  /** The analyst's TOTP secret, from `kalkan intake user add`. */
  totpSecret: string;
  /**
   * Starts `kalkan intake serve` on plain HTTP (so with --insecure-cookies unless `secure`).
   */
  start: (extraArgs?: string[], options?: { secure?: boolean }) => Promise<LongRunning>;
}

/**
 * A TOTP code for the analyst. A code is accepted once, one step either side of now: sign-ins
 * close together take `step` -1, 0, then 1.
 */
export function analystCode(fixture: IntakeFixture, step = 0): string {
  return totpCode(fixture.totpSecret, Date.now() + step * 30_000);
}

/** Adds an account with `kalkan intake user add` and returns its TOTP secret. */
export async function addAccount(
  dataDir: string,
  name: string,
  password: string,
  role: 'analyst' | 'supervisor' = 'analyst',
): Promise<string> {
  const add = await runKalkan(['intake', 'user', 'add', name, '--data', dataDir, '--role', role], {
    input: `${password}\n`,
  });
  const secret = /secret: ([A-Z2-7]+)/.exec(add.stdout)?.[1];
  if (add.code !== 0 || !secret) throw new Error(add.stderr || add.stdout);
  return secret;
}

export async function intakeFixture(): Promise<IntakeFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'kalkan-intake-'));
  const unitDir = join(dir, 'unit');
  const dataDir = join(dir, 'intake-data');
  const keygen = await runKalkan([
    'intake',
    'keygen',
    '--out',
    unitDir,
    '--org',
    'Test Cybercrime Unit',
    '--contact',
    'reports@unit.example',
    '--domain',
    'unit.example',
  ]);
  if (keygen.code !== 0) throw new Error(keygen.stderr);
  const totpSecret = await addAccount(dataDir, ANALYST.user, ANALYST.password);
  const port = await freePort();
  const fixture: IntakeFixture = {
    dir,
    unitDir,
    dataDir,
    keyPath: join(unitDir, 'unit.key'),
    pubPath: join(unitDir, 'unit.pub'),
    port,
    url: `http://127.0.0.1:${port}`,
    totpSecret,
    start: async (extraArgs = [], options = {}) => {
      const server = startKalkan([
        'intake',
        'serve',
        '--listen',
        `127.0.0.1:${port}`,
        '--data',
        dataDir,
        '--key',
        fixture.keyPath,
        ...(options.secure ? [] : ['--insecure-cookies']),
        ...extraArgs,
      ]);
      fixture.server = server;
      await server.waitFor(/intake listening on/);
      return server;
    },
  };
  return fixture;
}

/** Stored report count, from the intake's health endpoint. */
export async function storedCount(fixture: IntakeFixture): Promise<number> {
  const response = await fetch(`${fixture.url}/healthz`);
  return ((await response.json()) as { reports: number }).reports;
}

/** The intake's CSV export (`kalkan intake export --format csv`), as the unit runs it. */
export function exportCsv(fixture: IntakeFixture): Promise<RunResult> {
  return runKalkan([
    'intake',
    'export',
    '--data',
    fixture.dataDir,
    '--key',
    fixture.keyPath,
    '--format',
    'csv',
  ]);
}

/** Signs in to the triage page in `page` with a password and a TOTP code. */
export async function signIn(
  page: Page,
  fixture: IntakeFixture,
  account: { user: string; password: string },
  code: string,
): Promise<void> {
  await page.goto(`${fixture.url}/triage`);
  await page.fill('input[name=user]', account.user);
  await page.fill('input[name=password]', account.password);
  await page.fill('input[name=code]', code);
  await page.click('button[type=submit]');
}

/** Files a report with `kalkan reports submit`, as a reporter's device with the CLI does. */
export function submitReport(fixture: IntakeFixture, url: string, category: string) {
  return runKalkan([
    'reports',
    'submit',
    url,
    '--category',
    category,
    '--intake',
    fixture.url,
    '--unit-key',
    fixture.pubPath,
    '--data',
    join(fixture.dir, 'client'),
  ]);
}
