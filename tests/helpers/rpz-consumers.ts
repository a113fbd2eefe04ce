/**
 * The other consumers of Kalkan's RPZ and exports, from Debian's packages, each a child process
 * in its own temp dir on free loopback ports (never a system service): PowerDNS Recursor pulling
 * the zone, Knot Resolver reading an RPZ file, BIND serving an exported zone file as its policy
 * zone, Unbound with the local-zone export and dnsmasq with its export. All forward what they do
 * not block to the test upstream (rpz-secondaries.ts), so an unblocked name gets its address.
 * Plus a direct UDP query that reports the rcode, A records and Extended DNS Error.
 */
import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as packet from 'dns-packet';
import { freePort } from './ports.js';
import { stopChild } from './resolver.js';
import { namedOptions, type Running, spawnLogged, waitForDns } from './rpz-secondaries.js';

const run = promisify(execFile);

export interface Answer {
  rcode: string;
  /** A record addresses in the answer section. */
  addresses: string[];
  /** Extended DNS Error (RFC 8914) code and text, if the reply carries one. */
  ede?: { code: number; text: string };
  /** Owner names of SOA records in the authority section (BIND names its policy zone there). */
  authoritySoa: string[];
}

const EDE_OPTION = 15;

/** One A query over UDP with EDNS, straight from the test process (no dig per name). */
export function query(port: number, name: string, timeoutMs = 3000): Promise<Answer> {
  const socket = createSocket('udp4');
  const id = Math.floor(Math.random() * 65536);
  const message = packet.encode({
    id,
    type: 'query',
    flags: packet.RECURSION_DESIRED,
    questions: [{ name, type: 'A', class: 'IN' }],
    additionals: [
      {
        name: '.',
        type: 'OPT',
        udpPayloadSize: 1232,
        extendedRcode: 0,
        ednsVersion: 0,
        flags: 0,
        flag_do: false,
        options: [],
      },
    ],
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error(`no answer for ${name} from 127.0.0.1:${port}`));
    }, timeoutMs);
    socket.on('message', (reply) => {
      const decoded = packet.decode(reply);
      if (decoded.id !== id) return;
      clearTimeout(timer);
      socket.close();
      resolve(answerOf(decoded));
    });
    socket.send(message, port, '127.0.0.1');
  });
}

/** dns-packet decodes the rcode as a name; its types leave it out. */
function answerOf(decoded: packet.Packet & { rcode?: string }): Answer {
  const addresses = (decoded.answers ?? [])
    .filter((a) => a.type === 'A')
    .map((a) => String((a as { data: unknown }).data));
  const authoritySoa = (decoded.authorities ?? [])
    .filter((a) => a.type === 'SOA')
    .map((a) => a.name.toLowerCase());
  let ede: Answer['ede'];
  for (const extra of decoded.additionals ?? []) {
    if (extra.type !== 'OPT') continue;
    for (const option of (extra as { options?: { code: number; data?: Buffer }[] }).options ?? []) {
      if (option.code === EDE_OPTION && option.data && option.data.length >= 2)
        ede = { code: option.data.readUInt16BE(0), text: option.data.subarray(2).toString() };
    }
  }
  return { rcode: decoded.rcode ?? 'NOERROR', addresses, ...(ede ? { ede } : {}), authoritySoa };
}

/**
 * PowerDNS Recursor 4.8 with `rpzPrimary`: AXFR first, then IXFR every `refresh` seconds. 4.8
 * answers a NOTIFY (it wipes its cache for the zone) but does not transfer on one: that came in
 * Recursor 5.1. A policy hit carries EDE 15 "Blocked" with the text given here.
 */
export async function startPdnsRecursor(options: {
  dir: string;
  zone: string;
  primaryPort: number;
  upstreamPort: number;
  port?: number;
  refreshSeconds: number;
  edeText: string;
  /** hmac-sha256 key the transfers are signed with. */
  tsig?: { name: string; secret: string };
}): Promise<Running> {
  const port = options.port ?? (await freePort());
  const lua = join(options.dir, 'rpz.lua');
  const tsig = options.tsig
    ? `, tsigname = "${options.tsig.name}", tsigalgo = "hmac-sha256", tsigsecret = "${options.tsig.secret}"`
    : '';
  await writeFile(
    lua,
    `rpzPrimary("127.0.0.1:${options.primaryPort}", "${options.zone}", { refresh = ${options.refreshSeconds}, policyName = "kalkan", extendedErrorCode = 15, extendedErrorExtra = "${options.edeText}"${tsig} })\n`,
  );
  await writeFile(
    join(options.dir, 'recursor.conf'),
    `local-address=127.0.0.1
local-port=${port}
socket-dir=${options.dir}
lua-config-file=${lua}
forward-zones-recurse=.=127.0.0.1:${options.upstreamPort}
dnssec=off
daemon=no
write-pid=no
threads=1
max-cache-ttl=1
max-negative-ttl=1
packetcache-ttl=0
disable-syslog=yes
security-poll-suffix=
allow-notify-from=127.0.0.0/8
allow-notify-for=${options.zone}
`,
  );
  const { child, log } = spawnLogged('pdns_recursor', [`--config-dir=${options.dir}`]);
  await waitForDns(port, child, log);
  return { port, stop: () => stopChild(child), output: log };
}

/**
 * Knot Resolver 5.6: `policy.rpz` reads an RPZ zone file and reloads it when the file changes
 * (it cannot transfer a zone or take a NOTIFY). `CNAME .` gets DENY_MSG: NXDOMAIN with EDE 15
 * and the message in a TXT record. A passthru ends policy processing; in production the name is
 * then resolved as usual, here (no Internet) it is sent to the test upstream like everything else.
 */
export async function startKresd(options: {
  dir: string;
  rpzFile: string;
  upstreamPort: number;
  message: string;
}): Promise<Running> {
  const port = await freePort();
  const config = join(options.dir, 'kresd.conf');
  await writeFile(
    config,
    `net.listen('127.0.0.1', ${port}, { kind = 'dns' })
modules.unload('ta_update')
trust_anchors.remove('.')
cache.size = 10 * MB
cache.min_ttl(0)
cache.max_ttl(1)
local upstream = policy.STUB('127.0.0.1@${options.upstreamPort}')
local rpz = policy.rpz(policy.DENY_MSG('${options.message}', kres.extended_error.BLOCKED), '${options.rpzFile}', true)
policy.add(function(state, query)
  local action = rpz(state, query)
  if action == policy.PASS then return upstream end
  return action
end)
policy.add(policy.all(upstream))
`,
  );
  const { child, log } = spawnLogged('kresd', ['-n', '-c', config, options.dir]);
  await waitForDns(port, child, log);
  return { port, stop: () => stopChild(child), output: log };
}

export interface Reloadable extends Running {
  /** Loads the consumer's input file again; resolves once the new version answers. */
  reload(): Promise<void>;
}

/**
 * BIND with an exported RPZ file as a `type primary` response-policy zone, reloaded by rndc.
 * It also answers for the zone itself, so its SOA serial shows which version is loaded.
 */
export async function startNamedWithZoneFile(options: {
  dir: string;
  zone: string;
  zoneFile: string;
  upstreamPort: number;
}): Promise<Reloadable> {
  const port = await freePort();
  const rndcPort = await freePort();
  const secret = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64');
  const key = `key "rndc-key" { algorithm hmac-sha256; secret "${secret}"; };`;
  const rndcConf = join(options.dir, 'rndc.conf');
  await writeFile(
    rndcConf,
    `${key}\noptions { default-key "rndc-key"; default-server 127.0.0.1; default-port ${rndcPort}; };\n`,
  );
  const conf = join(options.dir, 'named.conf');
  await writeFile(
    conf,
    `${namedOptions({ ...options, port })}${key}
controls { inet 127.0.0.1 port ${rndcPort} allow { 127.0.0.1; } keys { "rndc-key"; }; };
zone "${options.zone}" { type primary; file "${options.zoneFile}"; };
`,
  );
  const { child, log } = spawnLogged('named', ['-g', '-c', conf, '-n', '1']);
  await waitForDns(port, child, log);
  return {
    port,
    stop: () => stopChild(child),
    output: log,
    reload: async () => {
      await run('rndc', ['-c', rndcConf, 'reload', options.zone]);
    },
  };
}

/** Unbound with the `local-zone` export included; `reload` re-reads the configuration. */
export async function startUnboundWithLocalZones(options: {
  dir: string;
  include: string;
  upstreamPort: number;
}): Promise<Reloadable> {
  const port = await freePort();
  const conf = join(options.dir, 'unbound-local.conf');
  await writeFile(
    conf,
    `server:
  username: ""
  chroot: ""
  directory: "${options.dir}"
  pidfile: "${join(options.dir, 'unbound-local.pid')}"
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
  module-config: "iterator"
  domain-insecure: "test"
  local-zone: "test." nodefault
  auto-trust-anchor-file: ""
  cache-max-ttl: 1
  cache-max-negative-ttl: 1
include: "${options.include}"
remote-control:
  control-enable: yes
  control-interface: "${join(options.dir, 'unbound-local.sock')}"
  control-use-cert: no
forward-zone:
  name: "."
  forward-addr: 127.0.0.1@${options.upstreamPort}
`,
  );
  await run('unbound-checkconf', [conf]);
  const { child, log } = spawnLogged('unbound', ['-d', '-c', conf]);
  await waitForDns(port, child, log);
  return {
    port,
    stop: () => stopChild(child),
    output: log,
    reload: async () => {
      await run('unbound-checkconf', [conf]);
      await run('unbound-control', ['-c', conf, 'reload']);
    },
  };
}

/** dnsmasq with the export as its only configuration; `reload` restarts it (it reads it once). */
export async function startDnsmasq(options: {
  confFile: string;
  upstreamPort: number;
}): Promise<Reloadable> {
  const port = await freePort();
  let current = await spawnDnsmasq(port, options);
  return {
    port,
    stop: () => stopChild(current.child),
    output: () => current.log(),
    reload: async () => {
      await stopChild(current.child);
      current = await spawnDnsmasq(port, options);
    },
  };
}

async function spawnDnsmasq(port: number, options: { confFile: string; upstreamPort: number }) {
  const started = spawnLogged('dnsmasq', [
    '--keep-in-foreground',
    '--no-daemon',
    `--conf-file=${options.confFile}`,
    '--no-resolv',
    '--no-hosts',
    '--cache-size=0',
    '--listen-address=127.0.0.1',
    '--bind-interfaces',
    `--port=${port}`,
    `--server=127.0.0.1#${options.upstreamPort}`,
    '--user=root',
    '--pid-file',
  ]);
  await waitForDns(port, started.child, started.log);
  return started;
}
