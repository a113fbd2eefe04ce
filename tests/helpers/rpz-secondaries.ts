/**
 * Real secondaries for the RPZ primary's tests: Unbound and BIND from Debian's packages, each
 * in its own temp dir on free loopback ports, running as root here (so no user switch, no
 * chroot), plus a tiny "upstream" both forward everything to, which gives every name a TEST-NET address,
 * so a name the policy does not block gets a real answer.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as packet from 'dns-packet';
import { type RpzPrimary, startRpzPrimary } from '../../resolver/rpz/server.js';
import { parseTsigKey } from '../../resolver/rpz/tsig.js';
import { freePort } from './ports.js';
import { dig as runDig, statusOf, stopChild } from './resolver.js';
import { trustedKeys, writeList } from './rpz-lists.js';

const run = promisify(execFile);
export const UPSTREAM_ADDRESS = '192.0.2.7';

export interface Running {
  port: number;
  stop(): Promise<void>;
  output(): string;
}

/** Answers A queries for any name with UPSTREAM_ADDRESS, authoritatively (UDP only). */
export async function startUpstream(): Promise<Running> {
  const port = await freePort();
  const socket = createSocket('udp4');
  socket.on('message', (msg, rinfo) => {
    let query: packet.Packet;
    try {
      query = packet.decode(msg);
    } catch {
      return;
    }
    const q = query.questions?.[0];
    if (!q) return;
    const answers: packet.Answer[] =
      q.type === 'A' ? [{ name: q.name, type: 'A', ttl: 60, data: UPSTREAM_ADDRESS }] : [];
    const reply = packet.encode({
      id: query.id,
      type: 'response',
      flags: packet.AUTHORITATIVE_ANSWER | packet.RECURSION_AVAILABLE,
      questions: [q],
      answers,
    });
    socket.send(reply, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => socket.bind(port, '127.0.0.1', resolve));
  return {
    port,
    stop: () => new Promise((resolve) => socket.close(() => resolve())),
    output: () => '',
  };
}

export function spawnLogged(
  command: string,
  args: string[],
): { child: ChildProcess; log: () => string } {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout?.on('data', (d) => {
    text += d;
  });
  child.stderr?.on('data', (d) => {
    text += d;
  });
  return { child, log: () => text };
}

export interface SecondaryOptions {
  dir: string;
  zone: string;
  primaryPort: number;
  upstreamPort: number;
  /** Known in advance when the primary must NOTIFY it; a free port otherwise. */
  port?: number;
  /** `name:secret` for BIND's TSIG key (hmac-sha256). */
  tsig?: { name: string; secret: string };
}

export async function startUnbound(options: SecondaryOptions): Promise<Running> {
  const port = options.port ?? (await freePort());
  const conf = join(options.dir, 'unbound.conf');
  await writeFile(
    conf,
    `server:
  username: ""
  chroot: ""
  directory: "${options.dir}"
  pidfile: "${join(options.dir, 'unbound.pid')}"
  use-syslog: no
  logfile: ""
  verbosity: 1
  interface: 127.0.0.1
  port: ${port}
  do-ip6: no
  num-threads: 1
  so-reuseport: no
  outgoing-range: 64
  access-control: 127.0.0.0/8 allow
  do-not-query-localhost: no
  module-config: "respip iterator"
  domain-insecure: "test"
  local-zone: "test." nodefault
  local-zone: "invalid." nodefault
  auto-trust-anchor-file: ""
  cache-max-ttl: 1
  cache-max-negative-ttl: 1
remote-control:
  control-enable: yes
  control-interface: "${join(options.dir, 'control.sock')}"
  control-use-cert: no
rpz:
  name: "${options.zone}"
  # an RPZ NXDOMAIN comes without RA: the tests tell it from any other NXDOMAIN
  rpz-signal-nxdomain-ra: yes
  primary: 127.0.0.1@${options.primaryPort}
  allow-notify: 127.0.0.1
  zonefile: "${join(options.dir, 'rpz.zone')}"
forward-zone:
  name: "."
  forward-addr: 127.0.0.1@${options.upstreamPort}
`,
  );
  const { child, log } = spawnLogged('unbound', ['-d', '-c', conf]);
  await waitForDns(port, child, log);
  return { port, stop: () => stopChild(child), output: log };
}

/**
 * Asks Unbound to transfer a zone now. Only for tests whose subject is the zone's content, not
 * its transfer: a transfer test counts the primary's transfers instead of nudging.
 */
export async function requestUnboundTransfer(dir: string, zone: string): Promise<void> {
  await run('unbound-control', ['-c', join(dir, 'unbound.conf'), 'auth_zone_transfer', zone]);
}

/** The serial Unbound holds for an auth zone (RPZ zones are auth zones inside Unbound). */
export async function unboundZoneSerial(dir: string, zone: string): Promise<number | undefined> {
  try {
    const { stdout } = await run('unbound-control', [
      '-c',
      join(dir, 'unbound.conf'),
      'list_auth_zones',
    ]);
    const line = stdout.split('\n').find((l) => l.startsWith(`${zone}.`));
    const serial = line && /serial (\d+)/.exec(line)?.[1];
    return serial ? Number(serial) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * BIND's `options` block for the tests: a forwarding resolver on 127.0.0.1:`port` applying the
 * response-policy zone `zone`, caching for at most a second.
 */
export function namedOptions(o: {
  dir: string;
  port: number;
  zone: string;
  upstreamPort: number;
}): string {
  return `options {
  directory "${o.dir}";
  pid-file "${join(o.dir, 'named.pid')}";
  session-keyfile "${join(o.dir, 'session.key')}";
  managed-keys-directory "${o.dir}";
  listen-on port ${o.port} { 127.0.0.1; };
  listen-on-v6 { none; };
  recursion yes;
  allow-query { 127.0.0.0/8; };
  allow-recursion { 127.0.0.0/8; };
  dnssec-validation no;
  notify no;
  max-cache-ttl 1;
  max-ncache-ttl 1;
  response-policy { zone "${o.zone}"; } qname-wait-recurse no min-update-interval 0;
  forward only;
  forwarders { 127.0.0.1 port ${o.upstreamPort}; };
};
`;
}

export async function startNamed(options: SecondaryOptions): Promise<Running> {
  const port = options.port ?? (await freePort());
  const conf = join(options.dir, 'named.conf');
  const key = options.tsig;
  await writeFile(
    conf,
    `${namedOptions({ ...options, port })}controls { };
${key ? `key "${key.name}" { algorithm hmac-sha256; secret "${key.secret}"; };` : ''}
zone "${options.zone}" {
  type secondary;
  primaries { 127.0.0.1 port ${options.primaryPort}${key ? ` key "${key.name}"` : ''}; };
  file "${join(options.dir, 'rpz.db')}";
  allow-notify { 127.0.0.1; };
  request-ixfr yes;
};
`,
  );
  const { child, log } = spawnLogged('named', ['-g', '-c', conf, '-n', '1']);
  await waitForDns(port, child, log);
  return { port, stop: () => stopChild(child), output: log };
}

export async function waitForDns(
  port: number,
  child: ChildProcess,
  log: () => string,
): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited early:\n${log()}`);
    const answer = await dig(port, 'version.bind', 'TXT', ['-c', 'CH']).catch(() => undefined);
    if (answer) return;
    await sleep(200);
  }
  throw new Error(`server did not answer on port ${port}:\n${log()}`);
}

export interface DigAnswer {
  /** The response code; for a zone transfer dig prints none, it is 'transfer failed' on a refusal. */
  status: string;
  /** The header flags, e.g. ['qr', 'rd', 'ra']. */
  flags: string[];
  answers: string[];
}

/**
 * Status, flags and answer data (`+short`-like) of one query, via the shared dig runner. A
 * server that does not answer makes it throw: a refusal must be an answer, not a silence.
 */
export async function dig(
  port: number,
  name: string,
  type = 'A',
  extra: string[] = [],
): Promise<DigAnswer> {
  const stdout = await runDig(port, name, type, ['+noall', '+comments', '+answer', ...extra]);
  const answers = stdout
    .split('\n')
    .filter((l) => l && !l.startsWith(';'))
    .map((l) => l.split(/\s+/).slice(4).join(' '));
  const status = statusOf(stdout) ?? (/; Transfer failed/.test(stdout) ? 'transfer failed' : '');
  if (!status) throw new Error(`dig ${name} ${type} @${port}: no answer\n${stdout}`);
  const flags = /;; flags: ([a-z ]+);/.exec(stdout)?.[1]?.trim().split(' ') ?? [];
  return { status, flags, answers };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface PrimaryWithSecondary {
  dir: string;
  primary: RpzPrimary;
  secondary: Running;
  /** The upstream both secondaries forward to: it answers every name (the tests' control). */
  upstream: Running;
  /** The primary's log lines. */
  logs: string[];
  stop(): Promise<void>;
}

/**
 * A temp dir with a signed list, the upstream, a Kalkan RPZ primary that NOTIFYs, and the
 * secondary `start` runs (startUnbound, startNamed) pulling from it, over TSIG when given.
 */
export async function startPrimaryWithSecondary(options: {
  zone: string;
  list: { sequence: number; block: string[]; allow?: string[] };
  tsig?: { name: string; secret: string };
  start: (options: SecondaryOptions) => Promise<Running>;
}): Promise<PrimaryWithSecondary> {
  const dir = await mkdtemp(join(tmpdir(), 'kalkan-rpz-secondary-'));
  const { sequence, block, allow } = options.list;
  await writeList(join(dir, 'list.klb'), sequence, block, allow ? { allow } : {});
  const upstream = await startUpstream();
  const port = await freePort();
  const logs: string[] = [];
  const primary = await startRpzPrimary({
    listen: { host: '127.0.0.1', port: await freePort() },
    zone: options.zone,
    listFile: join(dir, 'list.klb'),
    trustedKeys: await trustedKeys(),
    ...(options.tsig
      ? { tsigKeys: [parseTsigKey(`${options.tsig.name}:hmac-sha256:${options.tsig.secret}`)] }
      : {}),
    allowTransfer: ['127.0.0.1/32'],
    notify: [{ host: '127.0.0.1', port }],
    notifyTimeoutMs: 300,
    log: (line) => logs.push(line),
  });
  const secondary = await options.start({
    dir,
    zone: options.zone,
    primaryPort: primary.address.port,
    upstreamPort: upstream.port,
    port,
    ...(options.tsig ? { tsig: options.tsig } : {}),
  });
  return {
    dir,
    primary,
    secondary,
    upstream,
    logs,
    async stop() {
      await secondary.stop();
      await primary.close();
      await upstream.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
