/** `kalkan intake …`: the unit's report intake: keys, server, analyst accounts, export, promote. */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { generateUnitKeyPair } from '../../reporting/keygen.js';
import { encodeUnitPublicKey, encodeUnitSecretKey } from '../../reporting/keys.js';
import { ACCOUNT_NAME, createAccount, parseRole } from '../intake/accounts.js';
import { createIntakeApp } from '../intake/app.js';
import { csv, type ExportFormat, xarfLines } from '../intake/export.js';
import { readHotlines } from '../intake/notice.js';
import { OpenedReports } from '../intake/opened.js';
import { confirmedEntries, promoteEntries, readSharedHosts } from '../intake/promote.js';
import { DEFAULT_REPORT_QUOTAS } from '../intake/quotas.js';
import { MAX_STORED_BYTES } from '../intake/receive.js';
import {
  currentRetention,
  parseRetention,
  purgeSummary,
  type Retention,
  scheduleRetention,
} from '../intake/retention.js';
import { STATS_KEYS, type StatsKey, statistics, statsCsv } from '../intake/stats.js';
import { IntakeStore, type Role } from '../intake/store.js';
import { BOOTSTRAP_FILES, checkBootstrap, IANA_BOOTSTRAP } from '../intake/trace/rdap.js';
import {
  readUnitParty,
  readUnitSecretKey,
  UNIT_FILES,
  writeUnitParty,
} from '../intake/unit-files.js';
import { passwordFromStdin } from './password-input.js';
import { checkHelp, integer, parse, required, runSubcommand, UsageError } from './usage.js';

const USAGE = `Usage:
  kalkan intake keygen --out DIR --org NAME --contact EMAIL --domain DOMAIN
  kalkan intake serve --listen HOST:PORT --data DIR --key DIR/unit.key [--trust-proxy CIDR]...
                      [--reports-per-minute N] [--reports-per-minute-per-64 N]
                      [--reports-per-minute-total N] [--max-stored-mb N] [--insecure-cookies]
                      [--ip-db FILE.mmdb]... [--rdap-bootstrap FILE]... [--dns-server HOST[:PORT]]...
                      [--hotlines FILE.json] [--unit-country CC] [--keep STATE=DAYS]...
  kalkan intake user add NAME --data DIR [--role analyst|supervisor]
                                                (reads the password from stdin)
  kalkan intake export --data DIR --key DIR/unit.key --format xarf|csv [-o FILE]
  kalkan intake stats --data DIR --key DIR/unit.key --by month|category|classification|source|country|state
                      [--by ...] --format csv|json [-o FILE]
  kalkan intake purge --data DIR [--keep STATE=DAYS]...
  kalkan intake rdap-bootstrap --out DIR [--from URL]   (refreshes ipv4.json and ipv6.json)
  kalkan intake promote --data DIR --key DIR/unit.key -o LIST.txt|LIST.csv [--shared-hosts FILE]...

  keygen writes unit.key (secret), unit.pub (for reporting devices) and unit.json (the
  organisation named in XARF exports). export leaves out rejected and duplicate reports; XARF
  is JSON Lines, one report per line. promote adds confirmed reports to a list that "kalkan
  lists build" takes: a URL entry for a URL on a shared host (resolver/intake/data/
  shared-hosting.txt and --shared-hosts), a host entry otherwise; a .txt domain list holds
  host entries only.
  serve: quotas per client address (default ${DEFAULT_REPORT_QUOTAS.perAddress.perMinute}/min), per IPv6 /64 (${DEFAULT_REPORT_QUOTAS.perNet64.perMinute}) and in
  total (${DEFAULT_REPORT_QUOTAS.global.perMinute}); at most --max-stored-mb of sealed reports (default ${MAX_STORED_BYTES / 1024 ** 2}). Behind a TLS
  proxy pass its address with --trust-proxy (repeatable) so limits and the audit see the
  client. Cookies are Secure: sign-in needs HTTPS unless --insecure-cookies (plain-HTTP tests).
  Tracing (never fetching the site): DNS through --dns-server (else the system's resolver),
  country and network from --ip-db MMDB files, abuse contacts by RDAP through the IANA
  bootstrap file(s) --rdap-bootstrap. Hosts in --unit-country (default KG) get a notice to
  their abuse contact, others a referral (--hotlines, default resolver/intake/data/hotlines.json).
  stats counts reports (aggregates only); json adds the time to removal (median, p90).
  purge (and serve, daily) deletes reports older than their state's DAYS
  (states: new, rejected, duplicate, assessed, notice_sent, referred, removed), except those
  under a legal hold, and logs it. Days a supervisor saved in the triage win over --keep,
  which gives the value for states with none saved.
  user add prints the account's TOTP enrolment (otpauth:// URI): every account needs the code.`;

/** Who the audit log names for command-line actions: the operating-system account. */
const CLI_ACTOR = `cli:${userInfo().username}`;

const subcommands: Record<string, (args: string[]) => Promise<number>> = {
  keygen,
  serve,
  user,
  export: exportCommand,
  promote,
  stats,
  purge,
  'rdap-bootstrap': rdapBootstrap,
};

export function intakeCommand(args: string[]): Promise<number> {
  return runSubcommand(subcommands, args, USAGE);
}

async function keygen(args: string[]): Promise<number> {
  const { values } = parse(
    args,
    {
      out: { type: 'string' },
      org: { type: 'string' },
      contact: { type: 'string' },
      domain: { type: 'string' },
    },
    USAGE,
  );
  const dir = required(values.out, '--out DIR', USAGE);
  const party = {
    org: required(values.org, '--org NAME', USAGE),
    contact: required(values.contact, '--contact EMAIL', USAGE),
    domain: required(values.domain, '--domain DOMAIN', USAGE),
  };
  const { publicKey, secretKey } = await generateUnitKeyPair();
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFile(join(dir, UNIT_FILES.secret), encodeUnitSecretKey(secretKey), {
    mode: 0o600,
    flag: 'wx',
  });
  await writeFile(join(dir, UNIT_FILES.public), encodeUnitPublicKey(publicKey));
  await writeUnitParty(dir, party);
  console.log(
    `wrote ${join(dir, UNIT_FILES.secret)} (keep it secret: it opens every report), ${join(dir, UNIT_FILES.public)} (give it to reporting devices) and ${join(dir, UNIT_FILES.party)}`,
  );
  return 0;
}

function listenAddress(text: string): { host: string; port: number } {
  const match = /^\[?([^\]]+?)\]?:(\d+)$/.exec(text);
  if (!match?.[1] || !match[2]) throw new UsageError(`--listen must be HOST:PORT, got "${text}"`);
  return { host: match[1], port: integer(match[2], '--listen port') };
}

async function serve(args: string[]): Promise<number> {
  const { values } = parse(
    args,
    {
      listen: { type: 'string' },
      data: { type: 'string' },
      key: { type: 'string' },
      'trust-proxy': { type: 'string', multiple: true },
      'reports-per-minute': { type: 'string' },
      'reports-per-minute-per-64': { type: 'string' },
      'reports-per-minute-total': { type: 'string' },
      'max-stored-mb': { type: 'string' },
      'insecure-cookies': { type: 'boolean' },
      'ip-db': { type: 'string', multiple: true },
      'rdap-bootstrap': { type: 'string', multiple: true },
      'dns-server': { type: 'string', multiple: true },
      hotlines: { type: 'string' },
      'unit-country': { type: 'string' },
      keep: { type: 'string', multiple: true },
    },
    USAGE,
  );
  const retention = retentionOption(values.keep);
  const { host, port } = listenAddress(required(values.listen, '--listen HOST:PORT', USAGE));
  const keyPath = required(values.key, '--key FILE', USAGE);
  const secretKey = await readUnitSecretKey(keyPath);
  const unitCountry = (values['unit-country'] ?? 'KG').toUpperCase();
  if (!/^[A-Z]{2}$/.test(unitCountry)) {
    throw new UsageError(`--unit-country must be a two-letter country code, got "${unitCountry}"`);
  }
  const trustProxy = (values['trust-proxy'] ?? []).map(proxyRange);
  const quota = (flag: string, fallback: number) => {
    const text = values[flag as keyof typeof values] as string | undefined;
    return { perMinute: text === undefined ? fallback : integer(text, `--${flag}`) };
  };
  const quotas = {
    perAddress: quota('reports-per-minute', DEFAULT_REPORT_QUOTAS.perAddress.perMinute),
    perNet64: quota('reports-per-minute-per-64', DEFAULT_REPORT_QUOTAS.perNet64.perMinute),
    global: quota('reports-per-minute-total', DEFAULT_REPORT_QUOTAS.global.perMinute),
  };
  const maxMb = values['max-stored-mb'];
  const store = new IntakeStore(required(values.data, '--data DIR', USAGE));
  const { app, opened } = await createIntakeApp({
    store,
    secretKey,
    quotas,
    trustProxy,
    secureCookies: !values['insecure-cookies'],
    unit: await readUnitParty(keyPath),
    unitCountry,
    hotlines: await readHotlines(values.hotlines),
    ipDatabases: values['ip-db'] ?? [],
    rdapBootstrap: values['rdap-bootstrap'] ?? [],
    dnsServers: values['dns-server'] ?? [],
    retention,
    ...(maxMb === undefined
      ? {}
      : { maxStoredBytes: integer(maxMb, '--max-stored-mb') * 1024 ** 2 }),
  });
  // Reports stored before the triage index existed are opened once and indexed.
  const unreadable = await opened.indexOldRows();
  if (unreadable.length > 0) {
    console.error(`${unreadable.length} stored report(s) do not open with this key`);
  }
  await app.listen({ host, port });
  const stopRetention = scheduleRetention(store, retention);
  const address = app.server.address();
  const shown = typeof address === 'object' && address ? `${host}:${address.port}` : values.listen;
  const proxies = trustProxy.length > 0 ? `; trusting proxies ${trustProxy.join(', ')}` : '';
  console.log(`intake listening on http://${shown} (${store.count()} reports stored${proxies})`);
  await new Promise<void>((resolve) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => resolve());
  });
  // Finish requests in flight (a report is answered only after its commit), drop idle keep-alives.
  stopRetention();
  await app.close();
  store.close();
  return 0;
}

/** A proxy address or CIDR for --trust-proxy, checked here so a typo is not silently ignored. */
function proxyRange(text: string): string {
  const [address = '', bits, ...rest] = text.split('/');
  const version = isIP(address);
  const max = version === 6 ? 128 : 32;
  const ok =
    version !== 0 &&
    rest.length === 0 &&
    (bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= max));
  if (!ok) throw new UsageError(`--trust-proxy must be an address or CIDR, got "${text}"`);
  return text;
}

async function user(args: string[]): Promise<number> {
  checkHelp(args, USAGE);
  const [action, ...rest] = args;
  if (action !== 'add') throw new UsageError(`unknown "intake user ${action ?? ''}"\n${USAGE}`);
  const { values, positionals } = parse(
    rest,
    { data: { type: 'string' }, role: { type: 'string' } },
    USAGE,
  );
  const [name, ...extra] = positionals;
  if (name === undefined || extra.length > 0 || !ACCOUNT_NAME.test(name)) {
    throw new UsageError(`give one user NAME (letters, digits, . _ -)\n${USAGE}`);
  }
  let role: Role;
  try {
    role = parseRole(values.role ?? 'analyst');
  } catch (error) {
    throw new UsageError(`--role: ${(error as Error).message}`);
  }
  const store = new IntakeStore(required(values.data, '--data DIR', USAGE));
  try {
    const password = await passwordFromStdin();
    const enrolment = await createAccount(store, name, password, role, CLI_ACTOR);
    console.log(`${role} "${name}" can now sign in with the password and a code from an authenticator app.
Enrol the app now (this is shown once; keep it secret):
  ${enrolment.uri}
  secret: ${enrolment.secret}`);
    return 0;
  } finally {
    store.close();
  }
}

async function openAll(values: { data?: string; key?: string }) {
  const keyPath = required(values.key, '--key FILE', USAGE);
  const store = new IntakeStore(required(values.data, '--data DIR', USAGE));
  const opened = new OpenedReports(store, await readUnitSecretKey(keyPath));
  const { items, unreadable } = await opened.all();
  if (unreadable.length > 0) {
    console.error(
      `${unreadable.length} report(s) do not open with ${keyPath}: ${unreadable.join(' ')}`,
    );
  }
  return { store, items, keyPath };
}

async function exportCommand(args: string[]): Promise<number> {
  const { values } = parse(
    args,
    {
      data: { type: 'string' },
      key: { type: 'string' },
      format: { type: 'string' },
      output: { type: 'string', short: 'o' },
    },
    USAGE,
  );
  const format = required(values.format, '--format xarf|csv', USAGE);
  if (format !== 'xarf' && format !== 'csv') {
    throw new UsageError(`--format must be xarf or csv, got "${format}"`);
  }
  const { store, items, keyPath } = await openAll(values);
  try {
    const text =
      (format as ExportFormat) === 'xarf'
        ? xarfLines(items, await readUnitParty(keyPath))
        : csv(items);
    if (values.output === undefined) process.stdout.write(text);
    else await writeFile(values.output, text, { mode: 0o600 });
    store.log(CLI_ACTOR, `export ${format}`, values.output ?? 'stdout');
    return 0;
  } finally {
    store.close();
  }
}

async function promote(args: string[]): Promise<number> {
  const { values } = parse(
    args,
    {
      data: { type: 'string' },
      key: { type: 'string' },
      output: { type: 'string', short: 'o' },
      'shared-hosts': { type: 'string', multiple: true },
    },
    USAGE,
  );
  const output = required(values.output, '-o LIST.txt|LIST.csv', USAGE);
  const shared = await readSharedHosts(values['shared-hosts'] ?? []);
  const { store, items } = await openAll(values);
  try {
    const { added, withdrawn, total, skipped } = await promoteEntries(
      confirmedEntries(items, shared),
      output,
    );
    const csvList = output.toLowerCase().endsWith('.csv');
    store.log(
      CLI_ACTOR,
      'promote',
      `${added.length} entr(ies) added to ${output}, ${withdrawn.length} withdrawn`,
    );
    console.log(
      `${added.length} ${csvList ? 'entr(ies)' : 'host(s)'} added, ${total} in ${output}`,
    );
    if (withdrawn.length > 0) console.log(`${withdrawn.length} withdrawn: marked removed`);
    if (skipped.length > 0) {
      console.error(
        `${skipped.length} confirmed URL(s) on shared hosts need URL entries, which a domain list cannot hold; promote into a .csv list as well:\n${skipped.join('\n')}`,
      );
    }
    return 0;
  } finally {
    store.close();
  }
}

async function stats(args: string[]): Promise<number> {
  const { values } = parse(
    args,
    {
      data: { type: 'string' },
      key: { type: 'string' },
      by: { type: 'string', multiple: true },
      format: { type: 'string' },
      output: { type: 'string', short: 'o' },
    },
    USAGE,
  );
  const by = (values.by ?? []).map((key) => {
    if (!(STATS_KEYS as readonly string[]).includes(key)) {
      throw new UsageError(`--by must be one of ${STATS_KEYS.join(', ')}, got "${key}"`);
    }
    return key as StatsKey;
  });
  if (by.length === 0) throw new UsageError(`missing --by ${STATS_KEYS.join('|')}\n${USAGE}`);
  const format = required(values.format, '--format csv|json', USAGE);
  if (format !== 'csv' && format !== 'json') {
    throw new UsageError(`--format must be csv or json, got "${format}"`);
  }
  const keyPath = required(values.key, '--key FILE', USAGE);
  const store = new IntakeStore(required(values.data, '--data DIR', USAGE));
  try {
    const opened = new OpenedReports(store, await readUnitSecretKey(keyPath));
    await opened.indexOldRows();
    const result = statistics(store.cases.statsRows(), (s) => opened.index.openReport(s), by);
    const text = format === 'csv' ? statsCsv(result) : `${JSON.stringify(result, null, 2)}\n`;
    if (values.output === undefined) process.stdout.write(text);
    else await writeFile(values.output, text);
    return 0;
  } finally {
    store.close();
  }
}

async function purge(args: string[]): Promise<number> {
  const { values } = parse(
    args,
    { data: { type: 'string' }, keep: { type: 'string', multiple: true } },
    USAGE,
  );
  const flags = retentionOption(values.keep);
  const store = new IntakeStore(required(values.data, '--data DIR', USAGE));
  try {
    const retention = currentRetention(store, flags);
    if (Object.keys(retention).length === 0) {
      throw new UsageError(
        `no retention rules: give --keep STATE=DAYS or save them in the triage\n${USAGE}`,
      );
    }
    console.log(purgeSummary(store.cases.purge(retention, CLI_ACTOR, new Date())));
    return 0;
  } finally {
    store.close();
  }
}

function retentionOption(rules: string[] | undefined): Retention {
  try {
    return parseRetention(rules ?? []);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** Refreshes the local copies of IANA's RDAP bootstrap files (checked, then renamed into place). */
async function rdapBootstrap(args: string[]): Promise<number> {
  const { values } = parse(args, { out: { type: 'string' }, from: { type: 'string' } }, USAGE);
  const dir = required(values.out, '--out DIR', USAGE);
  const from = values.from ?? IANA_BOOTSTRAP;
  await mkdir(dir, { recursive: true });
  for (const name of BOOTSTRAP_FILES) {
    const url = new URL(name, from.endsWith('/') ? from : `${from}/`);
    const response = await fetch(url, { signal: AbortSignal.timeout(30_000) });
    if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
    const text = await response.text();
    checkBootstrap(text, url.href);
    const target = join(dir, name);
    await writeFile(`${target}.tmp`, text);
    await rename(`${target}.tmp`, target);
    console.log(`wrote ${target}`);
  }
  return 0;
}
