/** A real `kalkan intake` for tests: keys and an analyst in a temp dir, the server on a free port. */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LongRunning, type RunResult, runKalkan, startKalkan } from './kalkan-process.js';
import { freePort } from './ports.js';

export const ANALYST = { user: 'alice', password: 'correct horse battery staple' };

export interface IntakeFixture {
  dir: string;
  unitDir: string;
  dataDir: string;
  keyPath: string;
  pubPath: string;
  port: number;
  url: string;
  server?: LongRunning;
  start: (extraArgs?: string[]) => Promise<LongRunning>;
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
  const add = await runKalkan(['intake', 'user', 'add', ANALYST.user, '--data', dataDir], {
    input: `${ANALYST.password}\n`,
  });
  if (add.code !== 0) throw new Error(add.stderr);
  const port = await freePort();
  const fixture: IntakeFixture = {
    dir,
    unitDir,
    dataDir,
    keyPath: join(unitDir, 'unit.key'),
    pubPath: join(unitDir, 'unit.pub'),
    port,
    url: `http://127.0.0.1:${port}`,
    start: async (extraArgs = []) => {
      const server = startKalkan([
        'intake',
        'serve',
        '--listen',
        `127.0.0.1:${port}`,
        '--data',
        dataDir,
        '--key',
        fixture.keyPath,
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
