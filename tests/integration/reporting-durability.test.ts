/**
 * Durability with real processes: with the intake down, `kalkan reports submit` queues sealed
 * reports; a delivering process (`kalkan reports outbox --watch`) is killed with SIGKILL while
 * they are queued; the intake comes up and is itself killed with SIGKILL and restarted; the
 * watcher is restarted; every report arrives exactly once. A crash between the intake's commit
 * and the outbox's update (a delivered report still marked queued) is replayed and still counted
 * once, thanks to the id as idempotency key.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IntakeFixture, intakeFixture, storedCount } from '../helpers/intake.js';
import { type LongRunning, runKalkan, startKalkan } from '../helpers/kalkan-process.js';
import { waitFor } from '../helpers/resolver.js';

let intake: IntakeFixture;
let clientData: string;
const running: LongRunning[] = [];

beforeAll(async () => {
  intake = await intakeFixture();
  clientData = join(intake.dir, 'resolver-data');
});

afterAll(async () => {
  for (const process of running) await process.stop(true);
  await intake?.server?.stop(true);
});

const clientArgs = () => [
  '--intake',
  intake.url,
  '--unit-key',
  intake.pubPath,
  '--data',
  clientData,
];

function watcher(): LongRunning {
  const process = startKalkan([
    'reports',
    'outbox',
    '--watch',
    '--retry-base-ms',
    '200',
    '--retry-max-ms',
    '1000',
    ...clientArgs(),
  ]);
  running.push(process);
  return process;
}

interface Row {
  id: string;
  entry: string;
}

function outboxRows(): { id: string; state: string; attempts: number }[] {
  const db = new Database(join(clientData, 'reports-outbox.sqlite'), { readonly: true });
  try {
    return (db.prepare('SELECT id, entry FROM outbox').all() as Row[]).map((row) => {
      const entry = JSON.parse(row.entry) as { state: string; attempts: number };
      return { id: row.id, state: entry.state, attempts: entry.attempts };
    });
  } finally {
    db.close();
  }
}

function intakeIds(): string[] {
  const db = new Database(join(intake.dataDir, 'intake.sqlite'), { readonly: true });
  try {
    return (db.prepare('SELECT id FROM reports ORDER BY id').all() as { id: string }[]).map(
      (r) => r.id,
    );
  } finally {
    db.close();
  }
}

describe('reports survive a dead intake and killed processes, and arrive exactly once', () => {
  const ids: string[] = [];

  it('queues reports while the intake is down', async () => {
    for (const [n, category] of ['csem', 'grooming', 'trafficking'].entries()) {
      const result = await runKalkan([
        'reports',
        'submit',
        `https://abuse-demo.test/page-${n}`,
        '--category',
        category,
        ...clientArgs(),
      ]);
      expect(result.code, result.stderr).toBe(0);
      const match = /^([0-9a-f-]{36}) \w+ queued after 1 attempt\(s\), next .* \(network: /.exec(
        result.stdout,
      );
      expect(match, result.stdout).not.toBeNull();
      ids.push(match?.[1] ?? '');
    }
    expect(outboxRows().map((r) => r.state)).toEqual(['queued', 'queued', 'queued']);
  });

  it('a delivering process killed with SIGKILL loses nothing', async () => {
    const first = watcher();
    // Let it retry against the dead intake at least once more, then kill it mid-loop.
    await waitFor(async () => outboxRows().every((r) => r.attempts >= 2), 20_000, 'a retry');
    await first.stop(true);
    expect(first.child.signalCode).toBe('SIGKILL');
    const rows = outboxRows();
    expect(rows.map((r) => r.state)).toEqual(['queued', 'queued', 'queued']);
    expect(rows.map((r) => r.id).sort()).toEqual([...ids].sort());
  });

  it('after restarting both, every report arrives exactly once', async () => {
    await intake.start();
    // The intake dies hard and comes back: what it acknowledged was already committed.
    const second = watcher();
    await waitFor(async () => (await storedCount(intake)) >= 1, 20_000, 'a first delivery');
    await intake.server?.stop(true);
    await intake.start();
    await waitFor(async () => outboxRows().every((r) => r.state === 'delivered'), 30_000);
    await second.stop();
    expect(intakeIds()).toEqual([...ids].sort());
    expect(await storedCount(intake)).toBe(3);
  });

  it('a report delivered but still marked queued (crash before the outbox update) is not counted twice', async () => {
    const db = new Database(join(clientData, 'reports-outbox.sqlite'));
    const row = db.prepare('SELECT entry FROM outbox WHERE id = ?').get(ids[0]) as {
      entry: string;
    };
    const entry = JSON.parse(row.entry) as Record<string, unknown>;
    db.prepare('UPDATE outbox SET state = ?, entry = ? WHERE id = ?').run(
      'queued',
      JSON.stringify({ ...entry, state: 'queued', nextAttemptAt: 0 }),
      ids[0],
    );
    db.close();
    const flushed = await runKalkan(['reports', 'outbox', '--flush', ...clientArgs()]);
    expect(flushed.stdout).toContain('0 queued, 3 delivered, 0 failed');
    expect(outboxRows().find((r) => r.id === ids[0])?.state).toBe('delivered');
    expect(intakeIds()).toEqual([...ids].sort());
  });
});
