/**
 * Deployment (issue 12): `npm run package`'s tarball unpacked into a clean directory (outside
 * the repository, so nothing comes from its node_modules) and started with the unit file's own
 * ExecStart line answers a blocked name with Kalkan's EDE and tells systemd READY=1 on
 * $NOTIFY_SOCKET; bin/kalkan refuses a Node that is too old with a clear message; without its
 * SQLite module a `reports:` config exits 1 naming it; `rpz serve --tsig-file` keeps the secret
 * out of the process's command line. As root (CI), the .deb is installed into the system with
 * `dpkg -i`, run as the unit runs it (ExecStartPre and ExecStart, a user of its own, /etc, /opt,
 * /usr and /var read-only but the state folder, in a private mount namespace), a local block is
 * saved through the console and answered, and `dpkg --purge` removes it all. Needs `npm run
 * build` first; packaging takes a few seconds.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { chmod, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { encodePublicKey } from '../../blocklists/keys.js';
import { testKey } from '../helpers/bundles.js';
import { signIn } from '../helpers/console.js';
import { freePort } from '../helpers/ports.js';
import {
  BLOCKED_BY_KALKAN,
  dig,
  ROOT,
  statusOf,
  stopChild,
  tempDir,
  waitFor,
} from '../helpers/resolver.js';
import { writeList } from '../helpers/rpz-lists.js';

const run = promisify(execFile);
const VERSION = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')).version as string;
// Installing into the machine needs root and must not replace an operator's own install.
const alreadyInstalled = await run('dpkg', ['-s', 'kalkan']).then(
  () => true,
  () => false,
);
const DEB = join(
  ROOT,
  `dist/kalkan_${VERSION}_${process.arch === 'x64' ? 'amd64' : process.arch}.deb`,
);

let tmp: Awaited<ReturnType<typeof tempDir>>;
let opt: string; // stands for /opt
let execStart: string[];
const children: ChildProcess[] = [];

beforeAll(async () => {
  tmp = await tempDir('kalkan-package-');
  await run('sh', [join(ROOT, 'resolver/deploy/package.sh')], { cwd: ROOT });
  opt = join(tmp.dir, 'opt');
  await run('mkdir', ['-p', opt]);
  await run('tar', [
    '-xzf',
    join(ROOT, `dist/kalkan-${VERSION}-linux-${process.arch}.tar.gz`),
    '-C',
    opt,
  ]);
  const unit = await readFile(join(opt, 'kalkan/deploy/kalkan-resolver.service'), 'utf8');
  const line = /^ExecStart=(.+)$/m.exec(unit)?.[1] ?? '';
  expect(line).toBe('/opt/kalkan/bin/kalkan serve --config /var/lib/kalkan/resolver.yaml');
  expect(unit).toMatch(/^Type=notify$/m);
  execStart = line
    .replaceAll('/opt/', `${opt}/`)
    .replace('/var/lib/kalkan/resolver.yaml', join(tmp.dir, 'resolver.yaml'))
    .split(' ');
}, 120_000);

afterAll(async () => {
  await Promise.all(children.map(stopChild));
  await tmp?.remove();
});

/** The unit's command line in a bare environment, as systemd would start it. */
function startLikeSystemd(env: NodeJS.ProcessEnv = {}): {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
} {
  const [command, ...args] = execStart as [string, ...string[]];
  const child = spawn(command, args, {
    cwd: '/',
    env: { PATH: '/usr/local/bin:/usr/bin:/bin', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  child.stdout?.on('data', (d) => {
    output += d;
  });
  child.stderr?.on('data', (d) => {
    output += d;
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, output: () => output, exited };
}

async function writeConfig(extra: Record<string, unknown> = {}): Promise<number> {
  const port = await freePort();
  await writeFile(
    join(tmp.dir, 'resolver.yaml'),
    stringify({
      listen: [`127.0.0.1:${port}`],
      status: `127.0.0.1:${await freePort()}`,
      upstreams: ['127.0.0.1:9'],
      dataDir: join(tmp.dir, `state-${port}`),
      trust: [join(opt, 'kalkan/blocklists/demo/demo-publisher.pub')],
      lists: [{ file: join(opt, 'kalkan/build/lists/demo-abuse.klb'), id: 'demo-abuse' }],
      ...extra,
    }),
  );
  return port;
}

describe('the release tarball', () => {
  it('started by the unit’s ExecStart, blocks with Kalkan’s EDE and tells systemd it is ready', async () => {
    const port = await writeConfig();
    // systemd's side of NOTIFY_SOCKET: a unix datagram socket (Node has none; Python has).
    const notifySocket = join(tmp.dir, 'notify.sock');
    const listener = spawn('python3', [
      '-c',
      `import socket\ns=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM)\ns.bind(${JSON.stringify(notifySocket)})\nprint('bound',flush=True)\nwhile True:\n  print(s.recv(4096).decode().replace(chr(10),' '),flush=True)`,
    ]);
    children.push(listener);
    let notified = '';
    listener.stdout.on('data', (d) => {
      notified += d;
    });
    await waitFor(async () => notified.includes('bound'));

    const kalkan = startLikeSystemd({ NOTIFY_SOCKET: notifySocket });
    await waitFor(async () => {
      if (kalkan.child.exitCode !== null) throw new Error(kalkan.output());
      return kalkan.output().includes('kalkan serve ready');
    });
    const answer = await dig(port, 'abuse-demo.test');
    expect(statusOf(answer)).toBe('NXDOMAIN');
    expect(answer).toMatch(
      /EDE: 15 \(Blocked\): \(blocked by Kalkan: category abuse, list demo-abuse\)/,
    );
    await waitFor(async () => /READY=1 .*MAINPID=\d+/.test(notified), 10_000, 'READY=1');
    expect(notified).toContain(`MAINPID=${kalkan.child.pid}`);
    await stopChild(kalkan.child);
    expect(kalkan.child.exitCode).toBe(0);
    await stopChild(listener);
  });

  it('has a Debian package with the same files, the unit and the config as a conffile', async () => {
    const deb = DEB;
    const contents = (await run('dpkg-deb', ['-c', deb])).stdout;
    for (const path of [
      './opt/kalkan/bin/kalkan',
      './opt/kalkan/build/resolver/bundle/kalkan.js',
      './opt/kalkan/node_modules/better-sqlite3/build/Release/better_sqlite3.node',
      './opt/kalkan/resolver/native/build/Release/udp_batch.node',
      './opt/kalkan/resolver/native/build/Release/program_pages.node',
      './lib/systemd/system/kalkan-resolver.service',
      './etc/kalkan/resolver.yaml',
    ])
      expect(contents).toContain(path);
    expect((await run('dpkg-deb', ['-f', deb, 'Package'])).stdout.trim()).toBe('kalkan');
    const conffiles = (await run('dpkg-deb', ['--ctrl-tarfile', deb])).stdout;
    expect(conffiles).toContain('conffiles');
  });

  it.skipIf(process.getuid?.() !== 0 || alreadyInstalled)(
    'installed with dpkg -i and run as the unit runs it, saves a console change and answers it; dpkg --purge removes it',
    async () => {
      await run('dpkg', ['-i', DEB]);
      try {
        await installedAndSandboxed();
      } finally {
        await run('dpkg', ['--purge', 'kalkan']);
        await rm('/var/lib/kalkan', { recursive: true, force: true });
      }
      for (const gone of ['/opt/kalkan', '/etc/kalkan/resolver.yaml', '/usr/local/bin/kalkan'])
        await expect(stat(gone), gone).rejects.toThrow(/ENOENT/);
    },
    120_000,
  );

  it('bin/kalkan says which Node it found when none is new enough', async () => {
    const fakeBin = join(tmp.dir, 'old-node-bin');
    await run('mkdir', ['-p', fakeBin]);
    await writeFile(join(fakeBin, 'node'), '#!/bin/sh\necho 18.19.0\n');
    await chmod(join(fakeBin, 'node'), 0o755);
    const result = await run(join(opt, 'kalkan/bin/kalkan'), ['serve', '--help'], {
      env: { PATH: '/usr/bin:/bin', NODE: join(fakeBin, 'node') },
    }).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => error,
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('kalkan: needs Node.js 20.19 or newer; found:');
    expect(result.stderr).toContain(`${join(fakeBin, 'node')}=18.19.0`);
  });

  it('bin/kalkan keeps V8 small for plain DNS and its own young generation for DoT/DoH', async () => {
    // A "node" that prints the command line it was given.
    const fakeBin = join(tmp.dir, 'echo-node-bin');
    await run('mkdir', ['-p', fakeBin]);
    await writeFile(
      join(fakeBin, 'node'),
      '#!/bin/sh\n[ "$1" = -p ] && { echo 20.20.0; exit 0; }\necho "$@"\n',
    );
    await chmod(join(fakeBin, 'node'), 0o755);
    const plain = join(tmp.dir, 'plain.yaml');
    const encrypted = join(tmp.dir, 'encrypted.yaml');
    await writeFile(plain, 'listen: [127.0.0.1:53]\n');
    await writeFile(encrypted, 'listen: [127.0.0.1:53]\ntls:\n  cert: a.pem\n  key: b.pem\n');
    const flagsOf = async (args: string[], env: Record<string, string> = {}) => {
      const { stdout } = await run(join(opt, 'kalkan/bin/kalkan'), args, {
        env: { PATH: '/usr/bin:/bin', NODE: join(fakeBin, 'node'), ...env },
      });
      return stdout.slice(0, stdout.indexOf(join(opt, 'kalkan/build'))).trim();
    };
    const small = '--optimize-for-size --heap-growing-percent=20';
    expect(await flagsOf(['serve', '--config', plain])).toBe(small);
    expect(await flagsOf(['lists', 'build'])).toBe(small);
    expect(await flagsOf(['serve', '--config', encrypted])).toBe('--heap-growing-percent=20');
    expect(await flagsOf(['serve', `--config=${encrypted}`])).toBe('--heap-growing-percent=20');
    expect(await flagsOf(['serve', '--tls-cert', 'c.pem', '--tls-key', 'k.pem'])).toBe(
      '--heap-growing-percent=20',
    );
    expect(await flagsOf(['serve', '--config', plain], { KALKAN_V8_FLAGS: '' })).toBe('');
  });

  it('exits 1 naming the SQLite module when reports: is set and the module is missing', async () => {
    const keygen = spawn(join(opt, 'kalkan/bin/kalkan'), [
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
    await new Promise((r) => keygen.once('exit', r));
    await writeConfig({
      reports: { intake: 'http://127.0.0.1:9/', unitKey: join(tmp.dir, 'unit', 'unit.pub') },
    });
    await rm(join(opt, 'kalkan/node_modules/better-sqlite3'), { recursive: true });
    const started = performance.now();
    const kalkan = startLikeSystemd();
    expect(await kalkan.exited).toBe(1);
    console.log(
      `missing SQLite module: exit 1 after ${(performance.now() - started).toFixed(0)} ms`,
    );
    expect(kalkan.output()).toMatch(
      /kalkan serve: reports: the SQLite module \(better-sqlite3\) cannot be loaded/,
    );
  });
});

/** The service's user: systemd's DynamicUser picks a free uid in 61184–65519. */
const SERVICE_UID = 61_999;

/** The installed package, started as its unit starts it, then changed through the console. */
async function installedAndSandboxed(): Promise<void> {
  const unit = await readFile('/lib/systemd/system/kalkan-resolver.service', 'utf8');
  const setting = (key: string) =>
    [...unit.matchAll(new RegExp(`^${key}=(.+)$`, 'gm'))].map((m) => m[1] as string);
  expect(setting('ProtectSystem')).toEqual(['strict']);
  expect(setting('StateDirectory')).toEqual(['kalkan']);
  expect(setting('DynamicUser')).toEqual(['yes']);
  // The operator's part: the config in /etc (loopback ports here), before the first start.
  const port = await freePort();
  const statusPort = await freePort();
  const packaged = stringify({
    listen: [`127.0.0.1:${port}`],
    status: `127.0.0.1:${statusPort}`,
    upstreams: ['127.0.0.1:9'],
    dataDir: '/var/lib/kalkan',
    trust: ['/opt/kalkan/blocklists/demo/demo-publisher.pub'],
    lists: [
      { file: '/opt/kalkan/build/lists/demo-abuse.klb' },
      { file: '/opt/kalkan/build/lists/demo-adult.klb' },
    ],
  });
  await writeFile('/etc/kalkan/resolver.yaml', packaged);
  // systemd's part: the state folder owned by the service's user, then the sandbox: /etc, /opt,
  // /usr and /var read-only (ProtectSystem=strict) but the state folder, the user's own uid,
  // UMask=0077, then ExecStartPre and ExecStart as written in the unit.
  const owner = String(SERVICE_UID);
  await run('install', ['-d', '-m', '0700', '-o', owner, '-g', owner, '/var/lib/kalkan']);
  const sandbox = [
    'set -e',
    'for d in /etc /opt /usr /var; do mount --bind -o ro "$d" "$d"; done',
    // A bind mount takes the flags of the mount it comes from: writable again explicitly.
    'mount --bind /var/lib/kalkan /var/lib/kalkan',
    'mount -o remount,bind,rw /var/lib/kalkan',
    `umask ${setting('UMask')[0]}`,
    `exec setpriv --reuid=${SERVICE_UID} --regid=${SERVICE_UID} --clear-groups sh -c 'for pre in "$@"; do sh -c "$pre" || exit 1; done; exec $KALKAN_EXEC_START' sh "$@"`,
  ].join('\n');
  const child = spawn('unshare', ['-m', 'sh', '-c', sandbox, 'sh', ...setting('ExecStartPre')], {
    cwd: '/',
    env: { PATH: '/usr/local/bin:/usr/bin:/bin', KALKAN_EXEC_START: setting('ExecStart')[0] },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  child.stdout.on('data', (d) => {
    output += d;
  });
  child.stderr.on('data', (d) => {
    output += d;
  });
  await waitFor(async () => {
    if (child.exitCode !== null) throw new Error(output);
    return output.includes('kalkan serve ready');
  }, 20_000).catch((error: Error) => {
    throw new Error(`${error.message}\n${output}`);
  });
  const live = '/var/lib/kalkan/resolver.yaml';
  expect(await readFile(live, 'utf8')).toBe(packaged);
  expect((await stat(live)).uid).toBe(SERVICE_UID);

  // The operator adds a staff account through the symlink postinst made, as root.
  const add = spawn('/usr/local/bin/kalkan', ['serve', 'user', 'add', 'anna', '--config', live]);
  add.stdin.end('correct horse battery staple\n');
  expect(await new Promise((r) => add.once('exit', r))).toBe(0);

  const session = await signIn(statusPort);
  const saved = await session.post('/console/rules', {
    name: 'saved-under-systemd.example',
    action: 'block',
    category: 'adult',
    note: 'packaged unit',
  });
  const page = await saved.text();
  expect(saved.status, /<div id="notice"[^>]*>(.*?)<\/div>/s.exec(page)?.[1]).toBe(200);
  expect(await dig(port, 'www.saved-under-systemd.example')).toMatch(BLOCKED_BY_KALKAN);
  expect(await readFile(live, 'utf8')).toContain('saved-under-systemd.example');
  expect(await readFile('/etc/kalkan/resolver.yaml', 'utf8')).toBe(packaged);
  await stopChild(child);
  expect(child.exitCode).toBe(0);
}

it('rpz serve --tsig-file keeps the TSIG secret out of the command line', async () => {
  const secret = Buffer.from('kalkan-test-tsig-secret-0123456789').toString('base64');
  const keyFile = join(tmp.dir, 'xfr.tsig');
  await writeFile(keyFile, `xfr:hmac-sha256:${secret}\n`, { mode: 0o600 });
  const pub = join(tmp.dir, 'publisher.pub');
  await writeFile(pub, encodePublicKey((await testKey()).publicKey));
  const list = join(tmp.dir, 'rpz.klb');
  await writeList(list, 1, ['one.test']);
  const port = await freePort();
  const server = spawn(
    join(opt, 'kalkan/bin/kalkan'),
    [
      'rpz',
      'serve',
      '--listen',
      `127.0.0.1:${port}`,
      '--zone',
      'rpz.kalkan.test',
      '--list',
      list,
      '--trust',
      pub,
      '--tsig-file',
      keyFile,
    ],
    { stdio: 'ignore' },
  );
  children.push(server);
  const axfr = async (key?: string) =>
    (
      await run('dig', [
        '@127.0.0.1',
        '-p',
        String(port),
        'rpz.kalkan.test',
        'AXFR',
        '+time=2',
        '+tries=1',
        ...(key ? ['-y', key] : []),
      ])
    ).stdout;
  await waitFor(async () =>
    (await axfr(`hmac-sha256:xfr:${secret}`)).includes('one.test.rpz.kalkan.test'),
  );
  expect(await axfr()).not.toContain('one.test.rpz.kalkan.test');
  // The node process bin/kalkan exec'd into: its argv holds the file name, not the secret.
  const cmdline = await readFile(`/proc/${server.pid}/cmdline`, 'utf8');
  expect(cmdline).toContain(keyFile);
  expect(cmdline).not.toContain(secret);
});
