import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runKalkan as kalkan } from '../helpers/kalkan-process.js';

let dir: string;
const path = (name: string) => join(dir, name);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kalkan-lists-cli-'));
  expect((await kalkan(['lists', 'keygen', '--out', path('keys')])).code).toBe(0);
  expect((await kalkan(['lists', 'keygen', '--out', path('other')])).code).toBe(0);
  await writeFile(
    path('abuse.txt'),
    '# demo\nabuse-one.test\nABUSE-TWO.example.\n0.0.0.0\nbad name here\nlocalhost\n',
  );
  await writeFile(path('adult.hosts'), '0.0.0.0 adult-one.test adult-two.test # two names\n');
});

const build = (args: string[]) =>
  kalkan([
    'lists',
    'build',
    ...args,
    '--key',
    path('keys/publisher.key'),
    '--created',
    '2026-11-01T00:00:00Z',
    '--expires-days',
    '3650',
  ]);

describe('kalkan lists', () => {
  it('reports bad lines as file:line and skips them; --strict writes nothing', async () => {
    const args = [path('abuse.txt'), '--id', 'abuse', '--category', 'abuse', '--sequence', '3'];
    // Three bad lines and two entries: refused unless the publisher says so.
    const refused = await build([...args, '-o', path('abuse.klb')]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/more bad lines \(3\) than entries \(2\)/);
    const ok = await build([...args, '--allow-bad-lines', '-o', path('abuse.klb')]);
    expect(ok.code).toBe(0);
    expect(ok.stderr).toContain(`${path('abuse.txt')}:5: `);
    expect(ok.stdout).toMatch(/2 block and 0 allow entries/);
    const strict = await build([
      path('abuse.txt'),
      '--id',
      'abuse',
      '--category',
      'abuse',
      '--sequence',
      '3',
      '--strict',
      '-o',
      path('strict.klb'),
    ]);
    expect(strict.code).toBe(1);
    await expect(readFile(path('strict.klb'))).rejects.toThrow();
  });

  it('builds the same bytes from the same input', async () => {
    const args = ['--id', 'adult', '--category', 'adult', '--sequence', '1', '--plaintext'];
    expect((await build([path('adult.hosts'), ...args, '-o', path('a1.klb')])).code).toBe(0);
    expect((await build([path('adult.hosts'), ...args, '-o', path('a2.klb')])).code).toBe(0);
    expect((await readFile(path('a1.klb'))).equals(await readFile(path('a2.klb')))).toBe(true);
  });

  it('verifies with the right key and refuses a tampered file or another key', async () => {
    const good = await kalkan([
      'lists',
      'verify',
      path('abuse.klb'),
      '--trust',
      path('keys/publisher.pub'),
    ]);
    expect(good).toMatchObject({ code: 0 });
    expect(good.stdout).toContain('valid: "abuse" sequence 3');
    const wrongKey = await kalkan([
      'lists',
      'verify',
      path('abuse.klb'),
      '--trust',
      path('other/publisher.pub'),
    ]);
    expect(wrongKey.code).not.toBe(0);
    expect(wrongKey.stderr).toMatch(/not a trusted publisher key/);
    const bytes = await readFile(path('abuse.klb'));
    bytes[bytes.length - 70] = (bytes[bytes.length - 70] as number) ^ 0xff;
    await writeFile(path('tampered.klb'), bytes);
    const tampered = await kalkan([
      'lists',
      'verify',
      path('tampered.klb'),
      '--trust',
      path('keys/publisher.pub'),
    ]);
    expect(tampered.code).not.toBe(0);
    expect(tampered.stderr).toMatch(/bad signature/);
  });

  it('prints info without a key', async () => {
    const info = await kalkan(['lists', 'info', path('abuse.klb')]);
    expect(info.code).toBe(0);
    expect(info.stdout).toMatch(/category:\s+abuse/);
    expect(info.stdout).toMatch(/sequence:\s+3/);
    expect(info.stdout).toMatch(/block entries:\s+2/);
    expect(info.stdout).toMatch(/plaintext:\s+no \(hashed only\)/);
    expect(info.stdout).toMatch(/created:\s+2026-11-01T00:00:00.000Z/);
  });

  it('looks up names and URLs', async () => {
    const trust = [
      '--list',
      path('abuse.klb'),
      '--list',
      path('a1.klb'),
      '--trust',
      path('keys/publisher.pub'),
    ];
    expect(
      (await kalkan(['lists', 'lookup', 'www.abuse-two.example', ...trust])).stdout.trim(),
    ).toBe('blocked abuse abuse');
    expect(
      (await kalkan(['lists', 'lookup', 'https://x.adult-one.test/p?q', ...trust])).stdout.trim(),
    ).toBe('blocked adult adult');
    expect((await kalkan(['lists', 'lookup', 'two.example', ...trust])).stdout.trim()).toBe(
      'allowed',
    );
  });

  it('exports plaintext lists and refuses hashed-only ones', async () => {
    const ok = await kalkan([
      'lists',
      'export',
      path('a1.klb'),
      '--trust',
      path('keys/publisher.pub'),
      '--format',
      'hosts',
      '-o',
      path('out.hosts'),
    ]);
    expect(ok.code).toBe(0);
    expect(await readFile(path('out.hosts'), 'utf8')).toMatch(/^0\.0\.0\.0 adult-one\.test$/m);
    const refused = await kalkan([
      'lists',
      'export',
      path('abuse.klb'),
      '--trust',
      path('keys/publisher.pub'),
      '--format',
      'rpz',
      '-o',
      path('x.rpz'),
    ]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/hashed-only/);
  });

  it('names a missing option and a bad format', async () => {
    const missing = await kalkan(['lists', 'build', path('abuse.txt'), '--id', 'x']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/missing --category/);
    const format = await kalkan([
      'lists',
      'export',
      path('a1.klb'),
      '--trust',
      path('keys/publisher.pub'),
      '--format',
      'bind',
      '-o',
      path('y'),
    ]);
    expect(format.code).toBe(2);
    expect(format.stderr).toMatch(/--format must be one of/);
  });
});
