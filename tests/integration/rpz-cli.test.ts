/**
 * `kalkan rpz serve` as an operator runs it: serves the list, follows a changed file and a
 * SIGHUP, keeps the last good zone when a bad file arrives, and refuses a hashed-only list;
 * the built CLI (build/resolver/bundle/kalkan.js), as installed.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodePublicKey } from '../../blocklists/keys.js';
import { testKey } from '../helpers/bundles.js';
import { type LongRunning, runKalkan, startKalkan } from '../helpers/kalkan-process.js';
import { freePort } from '../helpers/ports.js';
import { waitFor } from '../helpers/resolver.js';
import { writeList } from '../helpers/rpz-lists.js';
import { dig } from '../helpers/rpz-secondaries.js';

const ZONE = 'rpz.kalkan.test';

describe('kalkan rpz serve', () => {
  let dir: string;
  let pub: string;
  let server: LongRunning | undefined;
  let port: number;

  const serial = async () => Number((await dig(port, ZONE, 'SOA')).answers[0]?.split(' ')[2]);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kalkan-rpz-cli-'));
    pub = join(dir, 'publisher.pub');
    await writeFile(pub, encodePublicKey((await testKey()).publicKey));
  });

  afterAll(async () => {
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('serves the list, reloads on file change and SIGHUP, keeps the last good zone', async () => {
    const list = join(dir, 'list.klb');
    await writeList(list, 1, ['one.test']);
    port = await freePort();
    server = startKalkan([
      'rpz',
      'serve',
      '--listen',
      `127.0.0.1:${port}`,
      '--zone',
      ZONE,
      '--list',
      list,
      '--trust',
      pub,
    ]);
    await waitFor(async () => (await serial()) === 1, 20_000);

    await writeList(list, 2, ['one.test', 'two.test']);
    await waitFor(async () => (await serial()) === 2, 5_000);

    // A corrupt file is refused; serial 2 stays in force.
    await writeFile(list, 'not a bundle');
    await waitFor(async () => server?.output().includes('reload refused') ?? false, 5_000);
    expect(await serial()).toBe(2);

    await writeList(list, 3, ['three.test']);
    await waitFor(async () => (await serial()) === 3, 5_000);
    server.child.kill('SIGHUP');
    await waitFor(async () => server?.output().includes('SIGHUP: list unchanged') ?? false, 5_000);

    const axfr = await dig(port, ZONE, 'AXFR');
    expect(axfr.answers).toContain('.');
    await server.stop();
    expect(server.child.exitCode).toBe(0);
  });

  it('refuses a hashed-only list with a clear message', async () => {
    const list = join(dir, 'hashed.klb');
    await writeList(list, 1, ['one.test'], { plaintext: false });
    const run = await runKalkan([
      'rpz',
      'serve',
      '--listen',
      `127.0.0.1:${await freePort()}`,
      '--zone',
      ZONE,
      '--list',
      list,
      '--trust',
      pub,
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr + run.stdout).toMatch(/hashed-only.*cannot be served as an RPZ zone/);
  });

  it('rejects bad flags with usage errors', async () => {
    const run = await runKalkan([
      'rpz',
      'serve',
      '--listen',
      'nowhere',
      '--zone',
      ZONE,
      '--list',
      'x',
      '--trust',
      pub,
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--listen must be HOST:PORT/);
  });
});
