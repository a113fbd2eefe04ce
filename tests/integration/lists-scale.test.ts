/**
 * A publisher-sized source through the command a publisher runs: one hosts file of 1,000,000
 * lines (generated, reserved names), built by `kalkan lists build`, then looked up.
 */

import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
    const run = await kalkan([
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
      '-o',
      path('million.klb'),
    ]);
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
});
