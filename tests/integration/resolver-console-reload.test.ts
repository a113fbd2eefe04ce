/**
 * Console changes take effect without a restart and without dropping a query: dnsperf sends
 * 1,000 queries/s while 20 local-rule changes are made through the console; every query is
 * answered and none with SERVFAIL. SIGHUP re-reads the config with --check's checks: a broken
 * file changes nothing and the log names the key.
 */
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addStaff, signIn } from '../helpers/console.js';
import {
  BLOCKED_BY_KALKAN,
  dig,
  type Kalkan,
  startKalkan,
  startUnbound,
  statusOf,
  tempDir,
  type Unbound,
  waitFor,
} from '../helpers/resolver.js';

const run = promisify(execFile);
let tmp: Awaited<ReturnType<typeof tempDir>>;
let unbound: Unbound;
let k: Kalkan;

beforeAll(async () => {
  tmp = await tempDir('kalkan-console-reload-');
  unbound = await startUnbound(tmp.dir, [], ['test.', 'example.']);
  k = await startKalkan(tmp.dir, { upstreams: [`127.0.0.1:${unbound.port}`] });
  await addStaff(k.configPath);
}, 60_000);

afterAll(async () => {
  await k?.stop();
  await unbound?.stop();
  await tmp?.remove();
});

const SECONDS = 12;

describe('config changes under load', () => {
  it('answers 1,000 queries/s, none lost and no SERVFAIL, while 20 changes are applied', async () => {
    const names = [
      ...Array.from({ length: 300 }, (_, i) => `host-${i}.test A`),
      ...Array.from({ length: 20 }, (_, i) => `www.toggle-${i}.example A`),
      'adult-demo.test A',
      'abuse-demo.test A',
    ];
    const queries = join(tmp.dir, 'queries.txt');
    await writeFile(queries, `${names.join('\n')}\n`);
    const session = await signIn(k.statusPort);
    const perf = run(
      'dnsperf',
      [
        '-s',
        '127.0.0.1',
        '-p',
        String(k.port),
        '-d',
        queries,
        '-Q',
        '1000',
        '-l',
        String(SECONDS),
        '-t',
        '5',
      ],
      { timeout: (SECONDS + 30) * 1000 },
    );
    // 20 changes spread over the run: blocks of toggle-N and removals of earlier ones.
    const outcomes: string[] = [];
    await new Promise((r) => setTimeout(r, 1000));
    for (let i = 0; i < 20; i++) {
      const change =
        i % 4 === 3
          ? session.post('/console/rules/remove', { name: `toggle-${i - 1}.example` })
          : session.post('/console/rules', {
              name: `toggle-${i}.example`,
              action: 'block',
              category: 'adult',
              note: `change ${i}`,
            });
      const response = await change;
      const text = await response.text();
      outcomes.push(`${response.status} ${/<div id="notice"[^>]*><p>([^<]*)/.exec(text)?.[1]}`);
      await new Promise((r) => setTimeout(r, ((SECONDS - 3) * 1000) / 20));
    }
    const { stdout } = await perf;
    console.log(stdout);
    expect(outcomes.filter((o) => o.startsWith('200 '))).toHaveLength(20);
    const sent = Number(/Queries sent:\s+(\d+)/.exec(stdout)?.[1]);
    const lost = Number(/Queries lost:\s+(\d+)/.exec(stdout)?.[1]);
    const codes = /Response codes:\s+(.*)/.exec(stdout)?.[1] ?? '';
    expect(sent).toBeGreaterThanOrEqual(SECONDS * 1000 * 0.9);
    expect(lost).toBe(0);
    expect(codes).not.toContain('SERVFAIL');
    expect(codes).toContain('NXDOMAIN');
    // The last state is in force: toggle-17 blocked (added), toggle-18 added then removed.
    expect(await dig(k.port, 'www.toggle-17.example')).toMatch(BLOCKED_BY_KALKAN);
    expect(statusOf(await dig(k.port, 'www.toggle-18.example'))).toBe('NOERROR');
  }, 90_000);
});

describe('SIGHUP', () => {
  it('re-reads the config: a broken file changes nothing and names the key; a good one applies', async () => {
    const good = await readFile(k.configPath, 'utf8');
    await writeFile(
      k.configPath,
      `${good}  - name: sighup.example\n    action: block\n    category: abuse\n    addedBy: anna\n    addedAt: 2026-11-30T10:00:00Z\n`,
    );
    k.child.kill('SIGHUP');
    await waitFor(async () => k.stdout().includes('config not reloaded'), 10_000, 'refusal logged');
    expect(k.stdout()).toMatch(/localRules\[\d+\]\.category: \\"abuse\\" is the unit's category/);
    expect(statusOf(await dig(k.port, 'sighup.example'))).toBe('NOERROR');
    await writeFile(
      k.configPath,
      `${good}  - name: sighup.example\n    action: block\n    addedBy: anna\n    addedAt: 2026-11-30T10:00:00Z\n`,
    );
    k.child.kill('SIGHUP');
    await waitFor(
      async () => BLOCKED_BY_KALKAN.test(await dig(k.port, 'sighup.example')),
      10_000,
      'SIGHUP applied the local rule',
    );
  });
});
