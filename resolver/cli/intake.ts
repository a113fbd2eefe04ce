/** `kalkan intake …`: the unit's report intake: keys, server, analyst accounts, export, promote. */
import { mkdir, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { generateUnitKeyPair } from '../../reporting/keygen.js';
import { encodeUnitPublicKey, encodeUnitSecretKey } from '../../reporting/keys.js';
import { csv, type ExportFormat, xarfLines } from '../intake/export.js';
import { OpenedReports } from '../intake/opened.js';
import { hashPassword } from '../intake/passwords.js';
import { confirmedHosts, promoteHosts } from '../intake/promote.js';
import { createIntakeServer } from '../intake/server.js';
import { IntakeStore } from '../intake/store.js';
import {
  readUnitParty,
  readUnitSecretKey,
  UNIT_FILES,
  writeUnitParty,
} from '../intake/unit-files.js';
import { checkHelp, integer, parse, required, runSubcommand, UsageError } from './usage.js';

const USAGE = `Usage:
  kalkan intake keygen --out DIR --org NAME --contact EMAIL --domain DOMAIN
  kalkan intake serve --listen HOST:PORT --data DIR --key DIR/unit.key
                      [--reports-per-minute N] [--secure-cookies]
  kalkan intake user add NAME --data DIR        (reads the password from stdin)
  kalkan intake export --data DIR --key DIR/unit.key --format xarf|csv [-o FILE]
  kalkan intake promote --data DIR --key DIR/unit.key -o LIST.txt

  keygen writes unit.key (secret), unit.pub (for reporting devices) and unit.json (the
  organisation named in XARF exports). export leaves out rejected and duplicate reports; XARF
  is JSON Lines, one report per line. promote adds the hosts of confirmed reports to a domain
  list that "kalkan lists build" takes.`;

/** Who the audit log names for command-line actions: the operating-system account. */
const CLI_ACTOR = `cli:${userInfo().username}`;

const subcommands: Record<string, (args: string[]) => Promise<number>> = {
  keygen,
  serve,
  user,
  export: exportCommand,
  promote,
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
      'reports-per-minute': { type: 'string' },
      'secure-cookies': { type: 'boolean' },
    },
    USAGE,
  );
  const { host, port } = listenAddress(required(values.listen, '--listen HOST:PORT', USAGE));
  const secretKey = await readUnitSecretKey(required(values.key, '--key FILE', USAGE));
  const store = new IntakeStore(required(values.data, '--data DIR', USAGE));
  const rate = values['reports-per-minute'];
  const { server, opened } = createIntakeServer({
    store,
    secretKey,
    ...(rate === undefined ? {} : { reportsPerMinute: integer(rate, '--reports-per-minute') }),
    secureCookies: values['secure-cookies'] ?? false,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const address = server.address();
  const shown = typeof address === 'object' && address ? `${host}:${address.port}` : values.listen;
  console.log(`intake listening on http://${shown} (${store.count()} reports stored)`);
  // Open stored reports in the background so the first triage view is quick.
  void opened.all();
  await new Promise<void>((resolve) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => resolve());
  });
  // Finish requests in flight (a report is answered only after its commit), drop idle keep-alives.
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  await closed;
  store.close();
  return 0;
}

async function user(args: string[]): Promise<number> {
  checkHelp(args, USAGE);
  const [action, ...rest] = args;
  if (action !== 'add') throw new UsageError(`unknown "intake user ${action ?? ''}"\n${USAGE}`);
  const { values, positionals } = parse(rest, { data: { type: 'string' } }, USAGE);
  const [name, ...extra] = positionals;
  if (name === undefined || extra.length > 0 || !/^[a-z0-9._-]{1,64}$/i.test(name)) {
    throw new UsageError(`give one user NAME (letters, digits, . _ -)\n${USAGE}`);
  }
  const store = new IntakeStore(required(values.data, '--data DIR', USAGE));
  try {
    const password = await firstLineOfStdin();
    store.putUser(name, await hashPassword(password), new Date().toISOString());
    store.log(CLI_ACTOR, 'user add', name);
    console.log(`analyst "${name}" can now sign in`);
    return 0;
  } finally {
    store.close();
  }
}

async function firstLineOfStdin(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('Password (input is shown; pipe it to hide): ');
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    lines.close();
    return line;
  }
  throw new Error('no password on stdin');
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
    { data: { type: 'string' }, key: { type: 'string' }, output: { type: 'string', short: 'o' } },
    USAGE,
  );
  const output = required(values.output, '-o LIST.txt', USAGE);
  const { store, items } = await openAll(values);
  try {
    const { added, total } = await promoteHosts(confirmedHosts(items), output);
    store.log(CLI_ACTOR, 'promote', `${added.length} host(s) added to ${output}`);
    console.log(`${added.length} host(s) added, ${total} in ${output}`);
    return 0;
  } finally {
    store.close();
  }
}
