/**
 * A publisher-sized source through the command a publisher runs: one hosts file of 1,000,000
 * lines (generated, reserved names), built by `kalkan lists build`, then looked up; the same
 * list built with --plaintext and exported by `kalkan lists export`, which writes line by line.
 */

import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runKalkan as kalkan } from '../helpers/kalkan-process.js';

const LINES = 1_000_000;
let dir: string;
const path = (name: string) => join(dir, name);

/** Line i of the generated list: a hosts entry under a reserved name. */
const nameOf = (i: number) => `host-${i}.part-${i % 1000}.scale.test`;

async function writeHostsFile(file: string, lines: number): Promise<void> {
  const out = createWriteStream(file);
  out.write('# generated list: a comment header, then one name a line\n'.repeat(200));
  const batch: string[] = [];
  for (let i = 0; i < lines; i++) {
    batch.push(`0.0.0.0 ${nameOf(i)}\n`);
    if (batch.length === 10_000 || i === lines - 1) {
      if (!out.write(batch.join(''))) await once(out, 'drain');
      batch.length = 0;
    }
  }
  out.end();
  await once(out, 'finish');
}

/** Lines of `file` that `matches` accepts, read as a stream. */
async function countLines(file: string, matches: (line: string) => boolean): Promise<number> {
  let count = 0;
  for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity }))
    if (matches(line)) count++;
  return count;
}

const buildArgs = (out: string, ...more: string[]) => [
  'lists',
  'build',
  path('million.hosts.txt'),
  '--id',
  'scale',
  '--category',
  'abuse',
  '--sequence',
  '1',
  '--key',
  path('keys/publisher.key'),
  ...more,
  '-o',
  path(out),
];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kalkan-lists-scale-'));
  expect((await kalkan(['lists', 'keygen', '--out', path('keys')])).code).toBe(0);
  await writeHostsFile(path('million.hosts.txt'), LINES);
}, 120_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('kalkan lists build at publisher scale', () => {
  it('builds a 1,000,000-line single file and finds its first, middle and last names', async () => {
    const run = await kalkan(buildArgs('million.klb'));
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/1000000 block and 0 allow entries/);
    const lookup = async (name: string) =>
      (
        await kalkan([
          'lists',
          'lookup',
          name,
          '--list',
          path('million.klb'),
          '--trust',
          path('keys/publisher.pub'),
        ])
      ).stdout.trim();
    for (const i of [0, LINES / 2, LINES - 1]) {
      expect(await lookup(`www.${nameOf(i)}`)).toBe('blocked abuse scale');
    }
    expect(await lookup(nameOf(LINES))).toBe('allowed');
  }, 120_000);

  it('exports the 1,000,000-entry plaintext build as hosts and RPZ, every entry once', async () => {
    const built = await kalkan(buildArgs('million-plain.klb', '--plaintext'));
    expect(built.code).toBe(0);
    const exportAs = async (format: string, out: string) => {
      const run = await kalkan([
        'lists',
        'export',
        path('million-plain.klb'),
        '--trust',
        path('keys/publisher.pub'),
        '--format',
        format,
        '-o',
        path(out),
      ]);
      expect(run.stderr).not.toMatch(/Invalid string length|heap/);
      expect(run.code).toBe(0);
      return run;
    };
    const hosts = await exportAs('hosts', 'million.hosts');
    expect(hosts.stdout).toMatch(/wrote .* \(hosts, \d+ lines\)/);
    expect(await countLines(path('million.hosts'), (l) => l.startsWith('0.0.0.0 '))).toBe(LINES);
    expect(
      await countLines(path('million.hosts'), (l) => l === `0.0.0.0 ${nameOf(LINES - 1)}`),
    ).toBe(1);
    await exportAs('rpz', 'million.rpz');
    expect(await countLines(path('million.rpz'), (l) => l.endsWith(' CNAME .'))).toBe(2 * LINES);
    expect(
      await countLines(path('million.rpz'), (l) => l === `*.${nameOf(LINES / 2)} CNAME .`),
    ).toBe(1);
  }, 240_000);
});
