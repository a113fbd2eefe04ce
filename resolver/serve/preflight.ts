/**
 * Everything `kalkan serve` can check before it answers, run by `serve` (which then exits 1 on
 * any problem, within a second, so a supervisor sees the failure) and by `serve --check`:
 * addresses and ports, CIDRs, categories the lists know, writable directories, listeners that
 * collide, the modules `reports:` needs; and, for `serve` only, a trial bind of every listener
 * (a port taken, an address not up yet) before the lists load. Each problem is one line that
 * names the config key.
 */
import { createSocket } from 'node:dgram';
import { constants } from 'node:fs';
import { access, mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, isIP } from 'node:net';
import { dirname, join } from 'node:path';
import { inspectBundle } from '../../blocklists/bundle/load.js';
import { readBytes, readPublicKeys } from '../lists/files.js';
import { LastGoodStore } from '../lists/store.js';
import { AddressSet } from '../net/address-set.js';
import { formatHostPort, type HostPort } from '../net/host-port.js';
import type { Config } from './config.js';
import { text } from './language.js';

/** The reasons the console translates are the catalogue's English templates (serve/reasons.ts). */
const english = text('en');

export interface PreflightOptions {
  /** Bind every listener for a moment (serve, not --check: a running server holds them). */
  trialBind: boolean;
}

type Protocol = 'udp' | 'tcp';
interface Listener {
  key: string;
  host: string;
  port: number;
  protocols: Protocol[];
}

/** The problems found, each "key: what is wrong"; empty when the config can be served. */
export async function preflight(config: Config, options: PreflightOptions): Promise<string[]> {
  const early: string[] = [];
  const listeners = listenersOf(config, early);
  checkUpstreams(config, early);
  checkCidrs(config, early);
  const problems = [
    ...early,
    ...collisions(listeners),
    ...checkLocalRules(config),
    ...checkDevices(config),
    ...(await checkEncrypted(config)),
    ...(await checkKeys(config)),
    ...(await checkCategories(config)),
    ...(await checkDirectories(config, options.trialBind)),
    ...(config.reports ? await checkSqlite() : []),
  ];
  if (options.trialBind && problems.length === 0)
    for (const l of listeners) for (const problem of await trialBind(l)) problems.push(problem);
  return problems;
}

/** The key an address belongs to, for an error raised later by a real bind. */
export function keyOfAddress(config: Config, host: string, port: number): string | undefined {
  const found = listenersOf(config, []).find((l) => l.port === port && l.host === host);
  return found?.key;
}

function listenersOf(config: Config, problems: string[]): Listener[] {
  const out: Listener[] = [];
  // The config schema checked the HOST:PORT form and the port range already.
  const add = (key: string, { host, port }: HostPort, protocols: Protocol[]) => {
    if (isIP(host) === 0 && host !== 'localhost')
      problems.push(`${key}: ${formatHostPort({ host, port })}: "${host}" is not an IP address`);
    else out.push({ key, host, port, protocols });
  };
  for (const [i, v] of config.listen.entries()) add(`listen[${i}]`, v, ['udp', 'tcp']);
  if (config.status) add('status', config.status, ['tcp']);
  for (const [i, r] of config.rpz.entries()) add(`rpz[${i}].listen`, r.listen, ['udp', 'tcp']);
  for (const [i, v] of config.dot.entries()) add(`dot[${i}]`, v, ['tcp']);
  for (const [i, v] of config.doh.entries()) add(`doh[${i}]`, v, ['tcp']);
  return out;
}

/** Upstreams are IP addresses by the schema; NOTIFY targets must be too. */
function checkUpstreams(config: Config, problems: string[]): void {
  for (const [i, r] of config.rpz.entries())
    for (const [j, n] of r.notify.entries())
      if (isIP(n.host) === 0)
        problems.push(`rpz[${i}].notify[${j}]: ${formatHostPort(n)}: expected IP:PORT`);
}

function checkCidrs(config: Config, problems: string[]): void {
  const check = (key: string, cidrs: readonly string[] | undefined) =>
    cidrs?.forEach((cidr, i) => {
      try {
        new AddressSet([cidr]);
      } catch (error) {
        problems.push(`${key}[${i}]: ${(error as Error).message}`);
      }
    });
  check('acl', config.acl);
  check('proxyProtocol.from', config.proxyProtocol?.from);
  for (const [i, p] of config.policies.entries()) check(`policies[${i}].subnets`, p.subnets);
  config.rpz.forEach((r, i) => {
    check(`rpz[${i}].allow-transfer`, r['allow-transfer']);
    check(`rpz[${i}].allow-unsigned`, r['allow-unsigned']);
  });
}

/**
 * Local rules: one per name, and none in a category answered as Blocked (abuse): those entries
 * belong to the unit's lists, which only the unit changes.
 */
function checkLocalRules(config: Config): string[] {
  const problems: string[] = [];
  const seen = new Map<string, number>();
  for (const [i, rule] of config.localRules.entries()) {
    if (config.block.blockedCategories.includes(rule.category))
      problems.push(
        `localRules[${i}].category: ${english('reason.unitCategory', { category: rule.category })}`,
      );
    const earlier = seen.get(rule.name);
    if (earlier !== undefined)
      problems.push(`localRules[${i}].name: ${rule.name} is already localRules[${earlier}]`);
    else seen.set(rule.name, i);
  }
  return problems;
}

/**
 * Each device names a policy that exists (or `default`), and is found by an address or by an
 * id over DoT/DoH (ids unique, and only with a dot: or doh: listener); policy names are unique.
 */
function checkDevices(config: Config): string[] {
  const problems: string[] = [];
  const names = new Set<string>(['default']);
  for (const [i, p] of config.policies.entries()) {
    if (names.has(p.name)) problems.push(`policies[${i}].name: "${p.name}" is used twice`);
    names.add(p.name);
  }
  const seen = new Set<string>();
  const encrypted = config.dot.length + config.doh.length > 0;
  for (const [i, d] of config.devices.entries()) {
    if (!names.has(d.policy))
      problems.push(
        `devices[${i}].policy: ${english('reason.notAPolicy', { policy: d.policy, known: [...names].join(', ') })}`,
      );
    if (d.id !== undefined) {
      if (seen.has(d.id)) problems.push(`devices[${i}].id: "${d.id}" is given twice`);
      seen.add(d.id);
      if (!encrypted)
        problems.push(
          `devices[${i}].id: ids are named over DoT or DoH; configure dot: or doh: too`,
        );
    }
  }
  return problems;
}

/**
 * DoT/DoH need a certificate and key that load and match (read as the reload reads them);
 * `tls.name` must be a name of the certificate.
 */
async function checkEncrypted(config: Config): Promise<string[]> {
  const problems: string[] = [];
  const encrypted = config.dot.length + config.doh.length > 0;
  if (encrypted && !config.tls)
    problems.push(
      `tls: ${config.dot.length ? 'dot' : 'doh'} listeners need tls: {cert, key} (or --tls-cert and --tls-key)`,
    );
  if (config.tls) {
    const { loadTlsPair } = await import('./transport/tls-context.js');
    try {
      const pair = await loadTlsPair(config.tls);
      const name = config.tls.name?.toLowerCase();
      if (
        name &&
        !pair.names.some((n) => n === name || (n.startsWith('*.') && name.endsWith(n.slice(1))))
      )
        problems.push(
          `tls.name: "${config.tls.name}" is not a name of the certificate (${pair.names.join(', ') || 'no DNS names'})`,
        );
      if (!name && pair.names.length === 0)
        problems.push('tls.name: the certificate has no DNS name; set tls.name');
    } catch (error) {
      problems.push(`tls: ${(error as Error).message}`);
    }
  }
  return problems;
}

/** Two listeners on one port and protocol, on the same address or a wildcard of it. */
function collisions(listeners: Listener[]): string[] {
  const problems: string[] = [];
  const wildcard = (h: string) => h === '0.0.0.0' || h === '::';
  for (let i = 0; i < listeners.length; i++)
    for (let j = i + 1; j < listeners.length; j++) {
      const a = listeners[i] as Listener;
      const b = listeners[j] as Listener;
      if (a.port !== b.port || !a.protocols.some((p) => b.protocols.includes(p))) continue;
      const sameFamily = a.host.includes(':') === b.host.includes(':');
      if (a.host === b.host || (sameFamily && (wildcard(a.host) || wildcard(b.host))))
        problems.push(
          `${b.key}: ${b.host}:${b.port} collides with ${a.key} (${a.host}:${a.port}, ${a.protocols.filter((p) => b.protocols.includes(p)).join('+')})`,
        );
    }
  return problems;
}

/** The publisher keys and the unit's key must read: named by key, not only by path. */
async function checkKeys(config: Config): Promise<string[]> {
  const problems: string[] = [];
  for (const [i, path] of config.trust.entries())
    await readPublicKeys([path]).catch((error: Error) =>
      problems.push(`trust[${i}]: ${error.message}`),
    );
  if (config.reports) {
    const { readUnitPublicKey } = await import('../reports/settings.js');
    await readUnitPublicKey(config.reports.unitKey).catch((error: NodeJS.ErrnoException) =>
      problems.push(
        `reports.unitKey: ${error.code ? `${config.reports?.unitKey}: cannot read: ${error.code}` : error.message}`,
      ),
    );
  }
  return problems;
}

/**
 * A policy naming a category no list has blocks nothing for it (`adlt` for `adult`): refused.
 * The lists' categories come from the list files, the `category:` pinned on entries and the
 * last good copies of subscriptions.
 */
async function checkCategories(config: Config): Promise<string[]> {
  const wanted = config.policies.flatMap((p, i) => [
    ...(p.categories ?? []).map((c, j) => ({ key: `policies[${i}].categories[${j}]`, c })),
    ...(p.schedule ?? []).flatMap((w, k) =>
      (w.categories ?? []).map((c, j) => ({
        key: `policies[${i}].schedule[${k}].categories[${j}]`,
        c,
      })),
    ),
  ]);
  if (wanted.length === 0) return [];
  const known = new Set<string>();
  let unknownSubscriptions = 0;
  const store = new LastGoodStore(join(config.dataDir as string, 'lists'));
  for (const list of config.lists) {
    if (list.category) {
      known.add(list.category);
      continue;
    }
    if ('file' in list) {
      try {
        known.add(inspectBundle(await readBytes(list.file)).meta.category);
        continue;
      } catch {
        // an unreadable file is reported by the list check; its copy may still say
      }
    }
    const copy = await store.readMeta('file' in list ? list.file : list.url);
    if (copy.category) known.add(copy.category);
    else unknownSubscriptions++;
  }
  const reason = unknownSubscriptions ? 'reason.notACategoryPin' : 'reason.notACategory';
  const knownText = [...known].sort().join(', ') || '-';
  return wanted
    .filter(({ c }) => !known.has(c))
    .map(({ key, c }) => `${key}: ${english(reason, { category: c, known: knownText })}`);
}

/**
 * The data directories must be writable: the last good lists, counts, the report outbox.
 * `serve` creates them and writes a file; `--check` creates nothing (it may run as another
 * user than the service) and asks the nearest existing folder.
 */
async function checkDirectories(config: Config, create: boolean): Promise<string[]> {
  const dirs: [string, string][] = [['dataDir', config.dataDir as string]];
  if (config.reports?.dataDir) dirs.push(['reports.dataDir', config.reports.dataDir]);
  config.rpz.forEach((r, i) => {
    if (r['data-dir']) dirs.push([`rpz[${i}].data-dir`, r['data-dir']]);
  });
  const problems: string[] = [];
  for (const [key, dir] of dirs) {
    const probe = join(dir, `.kalkan-write-test-${process.pid}`);
    try {
      if (create) {
        await mkdir(dir, { recursive: true });
        await writeFile(probe, '');
        await rm(probe);
      } else await access(await nearestExisting(dir), constants.W_OK);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      problems.push(`${key}: ${dir} is not writable (${code})`);
    }
  }
  return problems;
}

/** `reports:` keeps its outbox in SQLite: the native module must load. */
async function nearestExisting(dir: string): Promise<string> {
  for (let at = dir; ; at = dirname(at)) {
    const found = await stat(at).then(
      (s) => s,
      () => undefined,
    );
    if (found) {
      if (!found.isDirectory())
        throw Object.assign(new Error(`${at} is a file`), { code: 'ENOTDIR' });
      return at;
    }
    if (dirname(at) === at) return at;
  }
}

async function checkSqlite(): Promise<string[]> {
  try {
    const { default: Database } = await import('better-sqlite3');
    new Database(':memory:').close();
    return [];
  } catch (error) {
    return [
      `reports: the SQLite module (better-sqlite3) cannot be loaded: ${(error as Error).message.split('\n')[0]}`,
    ];
  }
}

async function trialBind(l: Listener): Promise<string[]> {
  const problems: string[] = [];
  for (const protocol of l.protocols) {
    try {
      await (protocol === 'tcp' ? bindTcp(l.host, l.port) : bindUdp(l.host, l.port));
    } catch (error) {
      problems.push(`${l.key}: cannot listen on ${l.host}:${l.port}/${protocol}: ${why(error)}`);
    }
  }
  return problems;
}

function bindTcp(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ host, port, ipv6Only: host.includes(':'), exclusive: true }, () =>
      server.close(() => resolve()),
    );
  });
}

function bindUdp(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = host.includes(':')
      ? createSocket({ type: 'udp6', ipv6Only: true })
      : createSocket('udp4');
    socket.once('error', (error) => {
      socket.close();
      reject(error);
    });
    socket.bind({ address: host, port, exclusive: true }, () => socket.close(() => resolve()));
  });
}

/** A bind error in words, with its code. */
export function why(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  const words: Record<string, string> = {
    EADDRINUSE: 'the port is already in use (another server, or kalkan already running?)',
    EADDRNOTAVAIL: 'no such address on this machine (not up yet, or mistyped)',
    EACCES: 'permission denied (ports below 1024 need CAP_NET_BIND_SERVICE or root)',
  };
  return code && words[code] ? `${words[code]} (${code})` : (error as Error).message;
}
