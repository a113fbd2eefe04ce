/**
 * The servers compared with Kalkan, each from its Debian binary and given the same list as
 * text it parses at start-up: Unbound (`local-zone … always_nxdomain`, one thread; with DoT and
 * DoH listeners of its own for bench:encrypted), dnsmasq
 * (`address=/name/`), and a node:dgram echo server (a reference for Node's plain UDP I/O; not a
 * ceiling, since Kalkan reads and answers through its batched addon instead). Plus the shared
 * upstream: Unbound with local-data for the repeated allowed names and a redirect zone that
 * answers every other name under it (the wide mixes' unlisted names).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Launch } from './server-process.js';

function unboundServerBlock(dir: string, port: number): string[] {
  return [
    'server:',
    '  interface: 127.0.0.1',
    `  port: ${port}`,
    '  username: ""',
    '  chroot: ""',
    `  directory: "${dir}"`,
    '  pidfile: ""',
    '  do-daemonize: no',
    '  use-syslog: no',
    '  logfile: ""',
    '  verbosity: 0',
    '  num-threads: 1',
    '  so-reuseport: no',
    // A filter, not a validating recursor: the same work Kalkan and dnsmasq do.
    '  module-config: "iterator"',
    '  access-control: 127.0.0.0/8 allow',
    '  do-not-query-localhost: no',
    '  msg-cache-size: 64m',
    '  rrset-cache-size: 64m',
  ];
}

/** Every name under this zone gets an answer from the upstream (a redirect zone). */
export const WIDE_ZONE = 'wide.bench.test';

/** The upstream every filter forwards to: authoritative-looking answers for allowed names. */
export async function upstreamUnbound(
  dir: string,
  port: number,
  allowedNames: string[],
): Promise<Launch> {
  const file = join(dir, 'upstream.conf');
  const lines = [
    ...unboundServerBlock(dir, port),
    '  local-zone: "bench.test." static',
    // Unbound answers test. and invalid. itself (RFC 6761) but not example.: without this, a
    // listed name under example. that a reload unlists would be sent to the root servers, which
    // this machine cannot reach, and time out (a lost query the reload did not lose).
    '  local-zone: "example." static',
    ...allowedNames.map((n, i) => `  local-data: "${n}. 300 IN A 192.0.2.${(i % 250) + 1}"`),
    `  local-zone: "${WIDE_ZONE}." redirect`,
    `  local-data: "${WIDE_ZONE}. 300 IN A 192.0.2.251"`,
  ];
  await writeFile(file, `${lines.join('\n')}\n`);
  return { command: 'unbound', args: ['-d', '-c', file] };
}

export async function filteringUnbound(
  dir: string,
  port: number,
  upstreamPort: number,
  blocked: string[],
): Promise<Launch> {
  const file = join(dir, 'unbound-filter.conf');
  const body = [
    ...unboundServerBlock(dir, port),
    // Unbound answers RFC 6761's test. and invalid. NXDOMAIN itself by default: without these
    // lines every allowed name would be "answered" without being forwarded (as in issue 7's runs).
    '  local-zone: "test." nodefault',
    '  local-zone: "invalid." nodefault',
    ...blocked.map((d) => `  local-zone: "${d}." always_nxdomain`),
    'forward-zone:',
    '  name: "."',
    `  forward-addr: 127.0.0.1@${upstreamPort}`,
  ];
  await writeFile(file, `${body.join('\n')}\n`);
  return { command: 'unbound', args: ['-d', '-c', file] };
}

/**
 * `filtering` (filteringUnbound's launch) with DoT and DoH listeners of its own (tls-port,
 * https-port), in a config file of its own: `slots` TCP connections per port (incoming-num-tcp,
 * which Unbound allocates a buffer for at start) and `idleTimeoutMs` (tcp-idle-timeout). Unbound
 * shortens that timeout to 1 % while fewer than half the slots are free, so the slots should be
 * at least twice the connections a run holds.
 */
export async function encryptedUnbound(
  filtering: Launch,
  ports: { plain: number; dot: number; doh: number },
  pair: { cert: string; key: string },
  limits: { slots: number; idleTimeoutMs: number },
): Promise<Launch> {
  const source = filtering.args[2] as string;
  const file = source.replace(/\.conf$/, `-encrypted-${ports.dot}.conf`);
  const extra = [
    `  interface: 127.0.0.1@${ports.plain}`,
    `  interface: 127.0.0.1@${ports.dot}`,
    `  interface: 127.0.0.1@${ports.doh}`,
    `  tls-port: ${ports.dot}`,
    `  https-port: ${ports.doh}`,
    `  tls-service-key: "${pair.key}"`,
    `  tls-service-pem: "${pair.cert}"`,
    '  http-notls-downstream: no',
    `  incoming-num-tcp: ${limits.slots}`,
    `  tcp-idle-timeout: ${limits.idleTimeoutMs}`,
  ];
  const text = await readFile(source, 'utf8');
  await writeFile(file, text.replace('  interface: 127.0.0.1\n', `${extra.join('\n')}\n`));
  return { command: filtering.command, args: ['-d', '-c', file] };
}

export async function dnsmasq(
  dir: string,
  port: number,
  upstreamPort: number,
  blocked: string[],
): Promise<Launch> {
  const file = join(dir, 'dnsmasq.conf');
  const body = [
    `port=${port}`,
    'listen-address=127.0.0.1',
    'bind-interfaces',
    'no-resolv',
    'no-hosts',
    // Kalkan's default cache.maxEntries: both keep as many answers.
    'cache-size=5000',
    `server=127.0.0.1#${upstreamPort}`,
    'user=root',
    ...blocked.map((d) => `address=/${d}/`),
  ];
  await writeFile(file, `${body.join('\n')}\n`);
  return {
    command: 'dnsmasq',
    args: ['--keep-in-foreground', `--conf-file=${file}`, '--pid-file='],
  };
}

/**
 * A node:dgram UDP server that answers each query with its own bytes, QR bit set: what Node's
 * plain datagram I/O costs, one message per call. Not a ceiling for Kalkan, which uses the
 * batched recvmmsg/sendmmsg addon instead. Plain JavaScript run by a bare `node` (not through
 * tsx, whose loader added 33–45 MB of RSS and 0.5–1 s of start-up).
 */
const ECHO_SERVER = `
import { createSocket } from 'node:dgram';
const socket = createSocket('udp4');
socket.on('message', (message, peer) => {
  if (message.length >= 12) message[2] |= 0x80;
  socket.send(message, peer.port, peer.address);
});
socket.bind(Number(process.argv[1]), '127.0.0.1');
`;

export function echoServer(port: number): Launch {
  return {
    command: process.execPath,
    args: ['--input-type=module', '--eval', ECHO_SERVER, String(port)],
  };
}
