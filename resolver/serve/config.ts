/**
 * The `kalkan serve` configuration: YAML, validated with zod, every error naming the key and
 * the line it is on. Paths are relative to the config file's directory.
 */
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { isMap, LineCounter, type Node, parseDocument } from 'yaml';
import { z } from 'zod';
import { localRuleSchema } from '../console/local-rules.js';
import { parseCidr } from '../net/address-set.js';
import { parseHostPort, parseUpstream, type UpstreamAddress } from '../net/host-port.js';
import { timeZoneSchema, windowSchema } from '../policies/schedule.js';
import { reportsConfigSchema } from '../reports/settings.js';
import { parseTsigKey } from '../rpz/tsig.js';
import { en } from './messages/en.js';
import { setupConfigSchema } from './setup/settings.js';

/** A string the schema turns into a typed value once, its parser's error as the message. */
function parsedBy<T>(parse: (text: string) => T) {
  return z.string().transform((text, ctx): T => {
    try {
      return parse(text);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
      return z.NEVER;
    }
  });
}
const hostPort = parsedBy((text) => parseHostPort(text));
const upstream = parsedBy(parseUpstream);
const cidr = z.string().refine((s) => {
  const [address, bits] = parseCidr(s);
  const max = address.includes(':') ? 128 : 32;
  return (
    /^[0-9a-fA-F:.]+$/.test(address) &&
    (bits === undefined || (Number.isInteger(bits) && bits >= 0 && bits <= max))
  );
}, en['reason.addressOrSubnet']);
const seconds = z.number().int().min(0);

/** What a `lists:` entry expects: a bundle with another id or category is refused. */
const listPin = {
  id: z.string().min(1).optional(),
  category: z.string().min(1).optional(),
  /** Without a usable copy of a required list the resolver is not ready (whenListsMissing). */
  required: z.boolean().default(true),
};

const policy = z.strictObject({
  name: z.string().min(1, en['reason.empty']),
  /** Empty: only the devices that name this policy get it. */
  subnets: z.array(cidr).default([]),
  /** Omitted: every category. */
  categories: z.array(z.string().min(1)).optional(),
  safeSearch: z.boolean().optional(),
  /** Windows (days, hours in timeZone) with other categories or safe search (issue 17). */
  schedule: z.array(windowSchema).optional(),
});

/**
 * A named client and the policy it gets (before policies' subnets): found by its address or
 * subnet on the LAN, or by its id over DoT (SNI `<id>.<tls.name>`) or DoH (`/dns-query/<id>`).
 */
const device = z
  .strictObject({
    name: z.string().min(1, en['reason.empty']).max(100).optional(),
    address: cidr.optional(),
    id: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'a device id is a DNS label: a-z, 0-9, -')
      .optional(),
    policy: z.string().min(1),
  })
  .refine((d) => d.address !== undefined || d.id !== undefined, {
    message: en['reason.needsAddressOrId'],
  });

/** One RPZ primary run by the resolver; the keys map one-to-one onto `RpzPrimaryOptions`. */
const tsigKey = z
  .strictObject({
    name: z.string().min(1),
    algorithm: z.string().default('hmac-sha256'),
    secret: z.string().min(1).optional(),
    'secret-file': z.string().min(1).optional(),
  })
  .superRefine((key, ctx) => {
    if ((key.secret === undefined) === (key['secret-file'] === undefined))
      ctx.addIssue({ code: 'custom', message: 'give exactly one of secret or secret-file' });
    else if (key.secret !== undefined) {
      try {
        parseTsigKey(`${key.name}:${key.algorithm}:${key.secret}`);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
      }
    }
  });
const rpzPrimary = z.strictObject({
  zone: z.string().min(1),
  listen: hostPort,
  list: z.string().min(1),
  /** Omitted: the resolver's `trust`. */
  trust: z.array(z.string().min(1)).min(1).optional(),
  tsig: z.array(tsigKey).default([]),
  notify: z.array(hostPort).default([]),
  /** Omitted: loopback only. */
  'allow-transfer': z.array(cidr).optional(),
  'allow-unsigned': z.array(cidr).optional(),
  ttl: seconds.optional(),
  history: z.number().int().min(1).optional(),
  /** Omitted: DATA/rpz, so IXFR still works after a restart. */
  'data-dir': z.string().min(1).optional(),
});

export const configSchema = z.strictObject({
  listen: z.array(hostPort).min(1).prefault(['127.0.0.1:53', '[::1]:53']),
  /** Empty: the nameservers in /etc/resolv.conf. */
  upstreams: z.array(upstream).default([]),
  upstreamTimeoutMs: z.number().int().min(50).max(30_000).default(1500),
  upstreamAttempts: z.number().int().min(1).max(10).default(3),
  lists: z
    .array(
      z.union([
        z.strictObject({ file: z.string().min(1), ...listPin }),
        z.strictObject({ url: z.url(), ...listPin }),
      ]),
    )
    .default([]),
  /**
   * A required list with no usable copy (first start, list server down): `servfail` answers
   * every query SERVFAIL with EDE 14 Not Ready until it loads; `serve` answers unfiltered, warning.
   */
  whenListsMissing: z.enum(['servfail', 'serve']).default('servfail'),
  trust: z.array(z.string().min(1)).default([]),
  refreshSeconds: seconds.min(60).default(3600),
  dataDir: z.string().min(1).optional(),
  block: z
    .strictObject({
      mode: z.enum(['nxdomain', 'sinkhole']).default('nxdomain'),
      sinkholeIPv4: z.ipv4().default('0.0.0.0'),
      sinkholeIPv6: z.ipv6().default('::'),
      ttl: seconds.default(300),
      /** Answered with EDE 15 Blocked; every other category gets 17 Filtered. */
      blockedCategories: z.array(z.string()).default(['abuse']),
      /** Answered NXDOMAIN in sinkhole mode too (Private Relay's signal, DoH fallback). */
      nxdomainCategories: z.array(z.string()).default(['bypass']),
    })
    .prefault({}),
  cache: z
    .strictObject({
      /** Answers kept (~250 bytes each beside the answer's own bytes). */
      maxEntries: z.number().int().min(0).default(5_000),
      minTtl: seconds.default(0),
      maxTtl: seconds.default(86_400),
      maxNegativeTtl: seconds.default(3600),
    })
    .prefault({}),
  memory: z
    .strictObject({
      /**
       * Names the resolver remembers, each with its verdict and cached answers (the fast path's
       * name table, the one place names seen are kept; ~60 bytes each).
       */
      namesSeen: z.number().int().min(1024).max(16_777_216).default(16_384),
      /**
       * Once answering (and after each SIGHUP reload), hand back the pages of Node's program read
       * only to start (resolver/serve/startup-pages.ts); they come back as they are used.
       */
      releaseStartupPages: z.boolean().default(true),
    })
    .prefault({}),
  acl: z
    .array(cidr)
    .default([
      '127.0.0.0/8',
      '::1/128',
      '10.0.0.0/8',
      '172.16.0.0/12',
      '192.168.0.0/16',
      '100.64.0.0/10',
      '169.254.0.0/16',
      'fc00::/7',
      'fe80::/10',
    ]),
  rateLimit: z
    .strictObject({
      /** Queries per second per client address; 0 turns the limit off. */
      perSecond: z.number().min(0).default(200),
      burst: z.number().int().min(1).default(400),
    })
    .prefault({}),
  safeSearch: z.boolean().default(true),
  policies: z.array(policy).default([]),
  devices: z.array(device).default([]),
  /** The café's time zone: schedules and the console's times. */
  timeZone: timeZoneSchema.default('UTC'),
  tcp: z
    .strictObject({
      idleTimeoutMs: z.number().int().min(100).default(10_000),
      maxConnections: z.number().int().min(1).default(256),
      maxInFlightPerConnection: z.number().int().min(1).default(16),
      /** One client address cannot hold more, so it cannot take the others' slots. */
      maxConnectionsPerClient: z.number().int().min(1).default(8),
      /** A connection is closed after this long however busy, so no client holds one forever. */
      maxConnectionMs: z.number().int().min(1000).default(120_000),
    })
    .prefault({}),
  /** HOST:PORT of the status page and /metrics; null turns it off. */
  status: hostPort.nullable().prefault('127.0.0.1:8053'),
  /**
   * Host names the status page answers to besides IP addresses and localhost (e.g. a LAN name
   * like kalkan.lan); any other Host is refused, so a DNS-rebinding page cannot read it.
   */
  statusHosts: z.array(z.string().min(1)).default([]),
  /** Randomise the case of names sent upstream (0x20) and accept only answers that keep it. */
  upstream0x20: z.boolean().default(false),
  queryLog: z.boolean().default(false),
  /**
   * How UDP datagrams are read and answered: `batched` through the native recvmmsg/sendmmsg
   * addon (Linux), `dgram` with node:dgram, `auto` batched when the addon loads. Without the
   * addon every mode falls back to node:dgram.
   */
  udpIo: z.enum(['auto', 'batched', 'dgram']).default('auto'),
  /** Processes answering on the same sockets (Node cluster); 1 runs in this process alone. */
  workers: z.number().int().min(1).max(64).default(1),
  logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).default('info'),
  /** Where the status page's report form sends reports (issue 5); no form when omitted. */
  reports: reportsConfigSchema.optional(),
  /** Limits on the status page's report form, so anyone on the LAN cannot spend the quota. */
  reportForm: z
    .strictObject({
      perClientPerHour: z.number().int().min(1).default(10),
      /** Reports waiting for delivery; beyond this the form says the outbox is full. */
      maxQueued: z.number().int().min(1).default(100),
    })
    .prefault({}),
  /** Device setup on the status page (/setup) and the "am I protected?" check name (issue 14). */
  setup: setupConfigSchema.prefault({}),
  /** The café's own allow and block entries, edited in the console (issue 17); reloaded live. */
  localRules: z.array(localRuleSchema).default([]),
  /** RPZ primaries served by this process (issue 6). */
  rpz: z.array(rpzPrimary).default([]),
  /** DNS over TLS (RFC 7858) listeners, usually port 853; they need `tls:`. */
  dot: z.array(hostPort).default([]),
  /** DNS over HTTPS (RFC 8484) listeners, answering on /dns-query; they need `tls:`. */
  doh: z.array(hostPort).default([]),
  /** The certificate and key of the DoT and DoH listeners (PEM files, reloaded on change). */
  tls: z
    .strictObject({
      cert: z.string().min(1),
      key: z.string().min(1),
      /**
       * The service's host name, in the certificate: announced by DDR, and the suffix of the
       * SNI `<device-id>.<name>`. Omitted: the certificate's first DNS name.
       */
      name: z.string().min(1).optional(),
    })
    .optional(),
  /** Load balancers (dnsdist) that put a PROXY v2 header before each connection and datagram. */
  proxyProtocol: z.strictObject({ from: z.array(cidr).min(1) }).optional(),
});

export type Config = z.infer<typeof configSchema>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses and validates; throws ConfigError listing "file:line: key: problem" for each issue. */
export function parseConfig(text: string, file: string): Config {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length) {
    throw new ConfigError(
      doc.errors
        .map((e) => `${file}:${lineCounter.linePos(e.pos[0]).line}: ${e.message.split('\n')[0]}`)
        .join('\n'),
    );
  }
  const result = configSchema.safeParse(doc.toJS() ?? {});
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => {
    const path = [...issue.path];
    if (issue.code === 'unrecognized_keys') path.push(issue.keys[0] as string);
    const key = path.map(String).join('.') || '(top level)';
    const message = issue.code === 'unrecognized_keys' ? 'unknown key' : issue.message;
    return `${file}:${lineOf(doc.contents, path, lineCounter, text)}: ${key}: ${message}`;
  });
  throw new ConfigError(lines.join('\n'));
}

/** The line of the deepest node on `path` that exists (a key's line for unknown keys). */
function lineOf(
  root: unknown,
  path: readonly PropertyKey[],
  lineCounter: LineCounter,
  text: string,
): number {
  let node = root as Node | null;
  let offset = 0;
  for (const step of path) {
    if (!node) break;
    if (isMap(node)) {
      const pair = node.items.find(
        (p) => (p.key as { value?: unknown } | null)?.value === String(step),
      );
      if (!pair) break;
      offset = (pair.key as Node).range?.[0] ?? offset;
      node = pair.value as Node | null;
      continue;
    }
    const items = (node as { items?: unknown[] }).items;
    const item = items?.[Number(step)] as Node | undefined;
    if (!item) break;
    offset = item.range?.[0] ?? offset;
    node = item;
  }
  if (offset === 0 && text.length === 0) return 1;
  return Math.max(1, lineCounter.linePos(offset).line);
}

/** Makes relative paths absolute against `base`, fills in the upstreams and the data dir. */
export function resolvePaths(config: Config, base: string): Config {
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(base, p));
  return {
    ...config,
    lists: config.lists.map((l) => ('file' in l ? { ...l, file: abs(l.file) } : l)),
    trust: config.trust.map(abs),
    ...(config.tls && {
      tls: { ...config.tls, cert: abs(config.tls.cert), key: abs(config.tls.key) },
    }),
    dataDir: abs(config.dataDir ?? defaultDataDir()),
    ...(config.reports && {
      reports: {
        ...config.reports,
        unitKey: abs(config.reports.unitKey),
        ...(config.reports.dataDir && { dataDir: abs(config.reports.dataDir) }),
      },
    }),
    rpz: config.rpz.map((r) => ({
      ...r,
      list: abs(r.list),
      ...(r.trust && { trust: r.trust.map(abs) }),
      ...(r['data-dir'] && { 'data-dir': abs(r['data-dir']) }),
      tsig: r.tsig.map((k) => ({
        ...k,
        ...(k['secret-file'] && { 'secret-file': abs(k['secret-file']) }),
      })),
    })),
  };
}

function defaultDataDir(): string {
  return (
    process.env.KALKAN_DATA_DIR ??
    process.env.STATE_DIRECTORY ??
    join(homedir(), '.local', 'state', 'kalkan')
  );
}

export async function readConfigFile(path: string): Promise<Config> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ConfigError(
      `${path}: cannot read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  return resolvePaths(parseConfig(text, path), dirname(resolve(path)));
}

/** The nameservers of /etc/resolv.conf (IP addresses, zone dropped) as port 53 upstreams. */
export async function systemUpstreams(path = '/etc/resolv.conf'): Promise<UpstreamAddress[]> {
  let text = '';
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .map((line) => /^\s*nameserver\s+(\S+)/.exec(line)?.[1])
    .map((a) => a?.split('%')[0])
    .filter((a): a is string => a !== undefined && isIP(a) !== 0)
    .map((host): UpstreamAddress => ({ host, port: 53, protocol: 'udp' }));
}
