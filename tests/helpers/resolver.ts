/**
 * Integration helpers for `kalkan serve`: a real Unbound on loopback as the upstream, holding
 * a record for every name so that only Kalkan can block one, the real server process from build/, and dig/kdig.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { KALKAN } from './kalkan-process.js';
import { freePort } from './ports.js';

const run = promisify(execFile);
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const DEMO_PUB = join(ROOT, 'blocklists/demo/demo-publisher.pub');
export const DEMO_ABUSE = join(ROOT, 'build/lists/demo-abuse.klb');
export const DEMO_ADULT = join(ROOT, 'build/lists/demo-adult.klb');

export async function tempDir(
  prefix: string,
): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * Polls `probe` until it resolves true (a rejection counts as not yet) or `timeoutMs` pass;
 * resolves with the time it took.
 */
export async function waitFor(
  probe: () => Promise<boolean>,
  timeoutMs = 15_000,
  what = 'condition',
): Promise<number> {
  const start = performance.now();
  for (;;) {
    if (await probe().catch(() => false)) return performance.now() - start;
    if (performance.now() - start > timeoutMs)
      throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** No DNSSEC validation, .test not served locally (RFC 6761 default), all asked upstream. */
const FORWARDING = `  module-config: "iterator"
  do-not-query-localhost: no
  local-zone: "test." nodefault
forward-zone:
  name: "."
  forward-addr: 127.0.0.1@PORT`;

export interface Unbound {
  port: number;
  stop: () => Promise<void>;
}

/**
 * What the test upstream answers for every name of its zones it has no `localData` for: a real
 * record, so a listed name resolves without Kalkan and only Kalkan's block can turn it into
 * NXDOMAIN (or a sinkhole address).
 */
export const UPSTREAM_WILDCARD = {
  A: '192.0.2.99',
  AAAA: '2001:db8::99',
  TXT: 'upstream wildcard',
};

/**
 * Unbound on 127.0.0.1, authoritative for `zones` (auth-zone files): each zone holds the
 * `localData` lines ("name TTL IN TYPE data") under it plus wildcard A/AAAA/TXT records
 * (UPSTREAM_WILDCARD) for every other name. `refuse` makes it answer REFUSED to everything;
 * `udp: false` makes it listen on TCP only; `forwardTo`: every other name is forwarded to that
 * port on 127.0.0.1 (Unbound as a forwarding resolver, like Kalkan).
 */
export async function startUnbound(
  dir: string,
  localData: string[],
  zones: string[],
  options: { refuse?: boolean; udp?: boolean; forwardTo?: number } = {},
): Promise<Unbound> {
  const udp = options.udp ?? true;
  const port = await freePort();
  const conf = join(dir, `unbound-${port}.conf`);
  const authZones: string[] = [];
  for (const zone of zones) {
    const origin = zone.endsWith('.') ? zone : `${zone}.`;
    const file = join(dir, `unbound-${port}-${origin}zone`);
    const own = localData.filter((line) => inZone(ownerOf(line), origin));
    await writeFile(
      file,
      [
        `${origin} 300 IN SOA ns.${origin} hostmaster.${origin} 1 3600 600 86400 300`,
        `${origin} 300 IN NS ns.${origin}`,
        `*.${origin} 300 IN A ${UPSTREAM_WILDCARD.A}`,
        `*.${origin} 300 IN AAAA ${UPSTREAM_WILDCARD.AAAA}`,
        `*.${origin} 300 IN TXT "${UPSTREAM_WILDCARD.TXT}"`,
        ...own,
        '',
      ].join('\n'),
    );
    authZones.push(
      `auth-zone:\n  name: "${origin}"\n  zonefile: "${file}"\n  for-downstream: yes\n  for-upstream: no\n  fallback-enabled: no`,
    );
  }
  const outside = localData.find((line) => !zones.some((z) => inZone(ownerOf(line), z)));
  if (outside) throw new Error(`startUnbound: "${outside}" is in none of the zones ${zones}`);
  await writeFile(
    conf,
    `server:
  interface: 127.0.0.1@${port}
  port: ${port}
  do-daemonize: no
  username: ""
  chroot: ""
  directory: "${dir}"
  pidfile: ""
  use-syslog: no
  logfile: ""
  access-control: 127.0.0.0/8 ${options.refuse ? 'refuse' : 'allow'}
  num-threads: 1
  do-udp: ${udp ? 'yes' : 'no'}
${zones.map((z) => `  local-zone: "${z}" nodefault`).join('\n')}
${authZones.join('\n')}
${options.forwardTo ? FORWARDING.replace('PORT', String(options.forwardTo)) : ''}
remote-control:
  control-enable: no
`,
  );
  const child = spawn('unbound', ['-d', '-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.on('data', (d) => {
    log += d;
  });
  const stop = () => stopChild(child);
  try {
    const probe = udp ? [] : ['+tcp'];
    await waitFor(async () =>
      (await dig(port, zones[0] ?? 'test', 'SOA', probe)).includes('status:'),
    );
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}\nunbound:\n${log}`);
  }
  return { port, stop };
}

const ownerOf = (line: string) => (line.split(/\s+/)[0] ?? '').toLowerCase();
const inZone = (owner: string, zone: string) =>
  `.${owner}`.endsWith(`.${zone.endsWith('.') ? zone : `${zone}.`}`);

export interface Kalkan {
  port: number;
  statusPort: number;
  child: ChildProcess;
  configPath: string;
  stderr: () => string;
  stdout: () => string;
  stop: () => Promise<void>;
}

/**
 * Starts `kalkan serve` on a free loopback port with `config` (merged over test defaults);
 * ready when it logs so, or when `ready` says so (for configs that silence the log).
 */
export async function startKalkan(
  dir: string,
  config: Record<string, unknown>,
  ready?: (port: number) => Promise<boolean>,
  /** Added to the process's environment (e.g. libfaketime's, to move its clock). */
  env: NodeJS.ProcessEnv = {},
): Promise<Kalkan> {
  const port = await freePort();
  const statusPort = await freePort();
  const configPath = join(dir, `kalkan-${port}.yaml`);
  await writeFile(
    configPath,
    stringify({
      listen: [`127.0.0.1:${port}`],
      status: `127.0.0.1:${statusPort}`,
      dataDir: join(dir, `data-${port}`),
      trust: [DEMO_PUB],
      lists: [{ file: DEMO_ABUSE }, { file: DEMO_ADULT }],
      rateLimit: { perSecond: 0 },
      // tests/integration/resolver-dgram.test.ts runs the key tests again with node:dgram forced
      ...(process.env.KALKAN_TEST_UDP_IO ? { udpIo: process.env.KALKAN_TEST_UDP_IO } : {}),
      ...config,
    }),
  );
  const child = spawn(process.execPath, [KALKAN, 'serve', '--config', configPath], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d) => {
    out += d;
  });
  child.stderr?.on('data', (d) => {
    err += d;
  });
  const k: Kalkan = {
    port,
    statusPort,
    child,
    configPath,
    stderr: () => err,
    stdout: () => out,
    stop: () => stopChild(child),
  };
  try {
    await waitFor(async () => {
      if (child.exitCode !== null) throw new Error(`kalkan exited: ${err}${out}`);
      return ready ? ready(port) : out.includes('kalkan serve ready');
    });
  } catch (error) {
    await k.stop();
    throw new Error(`${(error as Error).message}\n${err}\n${out}`);
  }
  return k;
}

export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** `dig @127.0.0.1 -p PORT name type [options]`: the full text output. */
export async function dig(
  port: number,
  name: string,
  type = 'A',
  options: string[] = [],
): Promise<string> {
  const { stdout } = await run('dig', [
    '@127.0.0.1',
    '-p',
    String(port),
    name,
    type,
    '+time=3',
    '+tries=1',
    ...options,
  ]);
  return stdout;
}

export async function kdig(port: number, args: string[]): Promise<string> {
  const { stdout } = await run('kdig', [
    '@127.0.0.1',
    '-p',
    String(port),
    '+time=3',
    '+retry=0',
    ...args,
  ]);
  return stdout;
}

/**
 * Kalkan's mark on a block (RFC 8914 EDE 15 Blocked for abuse, 17 Filtered for other
 * categories) as dig prints it: an NXDOMAIN without it came from somewhere else.
 */
export const BLOCKED_BY_KALKAN =
  /EDE: 1[57] \((?:Blocked|Filtered)\): \(blocked by Kalkan: category /;

export function statusOf(digOutput: string): string | undefined {
  return /status: ([A-Z]+)/.exec(digOutput)?.[1];
}

export async function metric(statusPort: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${statusPort}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name} `) || line.startsWith(`${name}{`))
      total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

/** Resident memory of a process in bytes (Linux). */
export async function rssOf(pid: number): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024;
}

/** A bundle signed with the demo publisher key (trusted by every test server). */
export async function demoSignedBundle(
  names: string[],
  meta: { id: string; category: string; sequence: number; expires?: string },
): Promise<Uint8Array> {
  const { buildBundle, expressionsOf } = await import('../../blocklists/bundle/build.js');
  const { parseSource } = await import('../../blocklists/sources/parse.js');
  const { readSecretKey } = await import('../../resolver/lists/files.js');
  const { nativeSha256 } = await import('../../resolver/lists/native-sha256.js');
  const secretKey = await readSecretKey(join(ROOT, 'blocklists/demo/demo-publisher.key'));
  return buildBundle(expressionsOf(parseSource(names.join('\n'), 'list.txt').entries), {
    meta: {
      ...meta,
      name: meta.id,
      created: new Date().toISOString(),
      expires: meta.expires ?? new Date(Date.now() + 86_400_000).toISOString(),
      licence: 'test',
    },
    secretKey,
    plaintext: false,
    sha256: nativeSha256,
  });
}

/** Replaces a file atomically (write + rename), as a list publisher's sync would. */
export async function replaceFile(path: string, bytes: Uint8Array): Promise<void> {
  const { rename } = await import('node:fs/promises');
  await writeFile(`${path}.new`, bytes);
  await rename(`${path}.new`, path);
}
