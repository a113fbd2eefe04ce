/**
 * `workers: 2`: a local block added in the console (served by the first worker) is in force in
 * both workers. The blocked name is asked 40 times, each dig from a fresh source port, so the
 * kernel hands the queries to both workers; every answer must be Kalkan's block, and the daily
 * counts each worker saves on stop show that each of them answered some of those blocks.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
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

let tmp: Awaited<ReturnType<typeof tempDir>>;
let unbound: Unbound;
let k: Kalkan;
const QUERIES = 40;

beforeAll(async () => {
  tmp = await tempDir('kalkan-console-workers-');
  unbound = await startUnbound(tmp.dir, [], ['test.', 'example.']);
  k = await startKalkan(tmp.dir, { upstreams: [`127.0.0.1:${unbound.port}`], workers: 2 });
  await waitFor(
    async () => (k.stdout().match(/kalkan serve ready/g)?.length ?? 0) >= 2,
    30_000,
    'two workers ready',
  );
  await addStaff(k.configPath);
}, 60_000);

afterAll(async () => {
  await k?.stop();
  await unbound?.stop();
  await tmp?.remove();
});

it('a local block added in the console is answered blocked by both workers', async () => {
  // Positive control: the name resolves before the change (the upstream answers it).
  expect(statusOf(await dig(k.port, 'q.both-workers.example'))).toBe('NOERROR');
  const reloads = () => k.stdout().match(/"msg":"config reloaded"/g)?.length ?? 0;
  const session = await signIn(k.statusPort);
  const saved = await session.post('/console/rules', {
    name: 'both-workers.example',
    action: 'block',
    category: 'adult',
    note: 'two workers',
  });
  expect(saved.status).toBe(200);
  // The worker that served the console has reloaded when the page answers; the other one
  // follows through the primary (a message, milliseconds).
  await waitFor(async () => reloads() >= 2, 10_000, 'both workers reloaded the config');
  for (let i = 0; i < QUERIES; i++)
    expect(await dig(k.port, `q${i}.both-workers.example`)).toMatch(BLOCKED_BY_KALKAN);

  await k.stop(); // each worker saves its daily counts
  const adultBlocks = async (file: string) => {
    const days = JSON.parse(await readFile(join(tmp.dir, `data-${k.port}`, file), 'utf8'));
    return Object.values(days as Record<string, Record<string, number>>).reduce(
      (sum, counts) => sum + (counts.adult ?? 0),
      0,
    );
  };
  const first = await adultBlocks('counts.json');
  const second = await adultBlocks('counts-worker-1.json');
  console.log(`blocked by worker 0: ${first}, by worker 1: ${second}`);
  expect(first).toBeGreaterThan(0);
  expect(second).toBeGreaterThan(0);
  expect(first + second).toBe(QUERIES);
}, 90_000);
