/**
 * Failing loudly (issue 12): each problem that keeps `kalkan serve` from serving ends the
 * process with a non-zero exit code within a second and one line naming the key, so
 * Restart=on-failure fires; `--check` finds every one of them a config can show. Timing bounds
 * are generous (the machine may be busy); the figures are printed.
 */
import { createSocket, type Socket } from 'node:dgram';
import { writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { runKalkan } from '../helpers/kalkan-process.js';
import { freePort } from '../helpers/ports.js';
import { DEMO_ABUSE, DEMO_ADULT, DEMO_PUB, tempDir } from '../helpers/resolver.js';

/** Exit within this (the issue asks for 1 s; a loaded CI machine gets slack). */
const EXIT_BOUND_MS = 3000;

let tmp: Awaited<ReturnType<typeof tempDir>>;
let unitPub: string;
const held: (Server | Socket)[] = [];

beforeAll(async () => {
  tmp = await tempDir('kalkan-loudly-');
  const keygen = await runKalkan([
    'intake',
    'keygen',
    '--out',
    join(tmp.dir, 'unit'),
    '--org',
    'Test Unit',
    '--contact',
    'reports@unit.example',
    '--domain',
    'unit.example',
  ]);
  expect(keygen.code).toBe(0);
  unitPub = join(tmp.dir, 'unit', 'unit.pub');
  await writeFile(join(tmp.dir, 'a-file'), 'not a directory');
});

afterAll(async () => {
  for (const h of held) h.close();
  await tmp?.remove();
});

let configs = 0;
async function configFile(over: Record<string, unknown>): Promise<string> {
  const path = join(tmp.dir, `config-${++configs}.yaml`);
  await writeFile(
    path,
    stringify({
      listen: [`127.0.0.1:${await freePort()}`],
      status: `127.0.0.1:${await freePort()}`,
      upstreams: ['127.0.0.1:9'],
      dataDir: join(tmp.dir, `data-${configs}`),
      trust: [DEMO_PUB],
      lists: [{ file: DEMO_ABUSE }, { file: DEMO_ADULT }],
      ...over,
    }),
  );
  return path;
}

async function serve(path: string): Promise<{ code: number | null; stderr: string; ms: number }> {
  const started = performance.now();
  const result = await runKalkan(['serve', '--config', path]);
  return { code: result.code, stderr: result.stderr, ms: Math.round(performance.now() - started) };
}

const bad: [string, () => Promise<Record<string, unknown>>, RegExp][] = [
  [
    'port 99999',
    async () => ({ listen: ['127.0.0.1:99999'] }),
    /config-\d+\.yaml:\d+: listen\.0: port "99999" .* is not a number from 1 to 65535/,
  ],
  [
    'a bad ACL entry',
    async () => ({ acl: ['10.0.0.300/8'] }),
    /acl\[0\]: "10\.0\.0\.300\/8" is not an address/,
  ],
  [
    'a policy category no list has',
    async () => ({
      policies: [{ name: 'kids', subnets: ['10.0.0.0/8'], categories: ['abuse', 'adlt'] }],
    }),
    /policies\[0\]\.categories\[1\]: "adlt" is not a category of any list \(known: abuse, adult\)/,
  ],
  [
    'an unwritable data directory with reports:',
    async () => ({
      dataDir: join(tmp.dir, 'a-file', 'data'),
      reports: { intake: 'http://127.0.0.1:9/', unitKey: unitPub },
    }),
    /dataDir: .*a-file\/data is not writable \(ENOTDIR\)/,
  ],
  [
    'listeners that collide',
    async () => {
      const port = await freePort();
      return { listen: [`0.0.0.0:${port}`], status: `127.0.0.1:${port}` };
    },
    /status: 127\.0\.0\.1:\d+ collides with listen\[0\]/,
  ],
  [
    'a publisher key that does not read',
    async () => ({ trust: [join(tmp.dir, 'no-such.pub')] }),
    /trust\[0\]: .*no-such\.pub: cannot read: ENOENT/,
  ],
  [
    'a unit key that does not read',
    async () => ({
      reports: { intake: 'http://127.0.0.1:9/', unitKey: join(tmp.dir, 'no-such-unit.pub') },
    }),
    /reports\.unitKey: .*no-such-unit\.pub: cannot read: ENOENT/,
  ],
  [
    'an upstream that is not an address',
    async () => ({ upstreams: ['resolver.example:53'] }),
    /config-\d+\.yaml:\d+: upstreams\.0: upstream must be an IP address/,
  ],
];

describe('kalkan serve exits non-zero at once, naming the key', () => {
  for (const [what, config, message] of bad)
    it(`${what}: serve and --check`, async () => {
      const path = await configFile(await config());
      const run = await serve(path);
      console.log(`${what}: exit ${run.code} after ${run.ms} ms`);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(message);
      expect(run.ms).toBeLessThan(EXIT_BOUND_MS);
      const check = await runKalkan(['serve', '--check', '--config', path]);
      expect(check.code).toBe(1);
      expect(check.stderr).toMatch(message);
      expect(check.stdout).toContain('config has problems');
    });

  it('the DNS port already taken (UDP)', async () => {
    const port = await freePort();
    const socket = createSocket('udp4');
    held.push(socket);
    await new Promise<void>((r) => socket.bind(port, '127.0.0.1', () => r()));
    const run = await serve(await configFile({ listen: [`127.0.0.1:${port}`] }));
    console.log(`DNS port taken: exit ${run.code} after ${run.ms} ms`);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/listen\[0\]: cannot listen on 127\.0\.0\.1:\d+\/udp: .*EADDRINUSE/);
    expect(run.ms).toBeLessThan(EXIT_BOUND_MS);
  });

  it('the status port already taken', async () => {
    const port = await freePort();
    const server = createServer();
    held.push(server);
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
    const run = await serve(await configFile({ status: `127.0.0.1:${port}` }));
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/status: cannot listen on 127\.0\.0\.1:\d+\/tcp: .*EADDRINUSE/);
    expect(run.ms).toBeLessThan(EXIT_BOUND_MS);
  });

  it('the RPZ port already taken', async () => {
    const port = await freePort();
    const server = createServer();
    held.push(server);
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
    const run = await serve(
      await configFile({
        rpz: [{ zone: 'rpz.kalkan.test', listen: `127.0.0.1:${port}`, list: DEMO_ADULT }],
      }),
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /rpz\[0\]\.listen: cannot listen on 127\.0\.0\.1:\d+\/tcp: .*EADDRINUSE/,
    );
    expect(run.ms).toBeLessThan(EXIT_BOUND_MS);
  });

  it('an address that is not on this machine (a LAN address not up yet at boot)', async () => {
    const run = await serve(await configFile({ listen: [`192.0.2.1:${await freePort()}`] }));
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /listen\[0\]: cannot listen on 192\.0\.2\.1:\d+\/udp: no such address .*EADDRNOTAVAIL/,
    );
    expect(run.ms).toBeLessThan(EXIT_BOUND_MS);
  });

  it('a list entry pinned to another id fails --check', async () => {
    const path = await configFile({ lists: [{ file: DEMO_ABUSE, id: 'not-demo-abuse' }] });
    const check = await runKalkan(['serve', '--check', '--config', path]);
    expect(check.code).toBe(1);
    expect(check.stderr).toContain('not the subscribed list "not-demo-abuse"');
  });

  it('a good config passes --check', async () => {
    const check = await runKalkan(['serve', '--check', '--config', await configFile({})]);
    expect(check.stderr).toBe('');
    expect(check.code).toBe(0);
    expect(check.stdout).toContain('config ok');
  });
});
