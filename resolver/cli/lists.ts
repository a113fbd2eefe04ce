/** `kalkan lists …`: the publisher's and the operator's tools for list bundles. */
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { buildBundle, expressionsOf } from '../../blocklists/bundle/build.js';
import { inspectBundle } from '../../blocklists/bundle/load.js';
import { EXPORT_FORMATS, type ExportFormat, exportList } from '../../blocklists/exports/index.js';
import { encodePublicKey, encodeSecretKey, generateKeyPair } from '../../blocklists/keys.js';
import { Matcher } from '../../blocklists/matcher.js';
import { formatProblem, parseSource, type SourceFormat } from '../../blocklists/sources/parse.js';
import { loadBundleFile, readBytes, readPublicKeys, readSecretKey } from '../lists/files.js';
import { nativeSha256 } from '../lists/native-sha256.js';
import { integer, parse, required, runSubcommand, UsageError } from './usage.js';

const USAGE = `Usage:
  kalkan lists keygen --out DIR
  kalkan lists build SRC... --id ID --category CAT --sequence N --key KEY [--name NAME]
                     [--licence TEXT] [--created ISO] [--expires-days N] [--format FMT]
                     [--plaintext] [--strict] -o OUT.klb
  kalkan lists verify FILE.klb --trust PUB...
  kalkan lists info FILE.klb
  kalkan lists lookup NAME_OR_URL --list FILE.klb... --trust PUB...
  kalkan lists export FILE.klb --trust PUB --format rpz|hosts|dnsmasq|unbound|adblock|dnr [--zone NAME] -o FILE`;

const subcommands: Record<string, (args: string[]) => Promise<number>> = {
  keygen,
  build,
  verify,
  info,
  lookup,
  export: exportCommand,
};

export function listsCommand(args: string[]): Promise<number> {
  return runSubcommand(subcommands, args, USAGE);
}

async function keygen(args: string[]): Promise<number> {
  const { values } = parse(args, { out: { type: 'string' } }, USAGE);
  const dir = required(values.out, '--out DIR', USAGE);
  const { secretKey, publicKey } = await generateKeyPair();
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'publisher.key'), encodeSecretKey(secretKey), { mode: 0o600 });
  await writeFile(join(dir, 'publisher.pub'), encodePublicKey(publicKey));
  console.log(
    `wrote ${join(dir, 'publisher.key')} (keep it secret) and ${join(dir, 'publisher.pub')}`,
  );
  return 0;
}

const DAY_MS = 86_400_000;

async function build(args: string[]): Promise<number> {
  const { values, positionals } = parse(
    args,
    {
      id: { type: 'string' },
      name: { type: 'string' },
      category: { type: 'string' },
      sequence: { type: 'string' },
      key: { type: 'string' },
      licence: { type: 'string' },
      created: { type: 'string' },
      'expires-days': { type: 'string' },
      format: { type: 'string' },
      plaintext: { type: 'boolean' },
      strict: { type: 'boolean' },
      output: { type: 'string', short: 'o' },
    },
    USAGE,
  );
  if (positionals.length === 0) throw new UsageError(`no source files given\n${USAGE}`);
  const id = required(values.id, '--id ID', USAGE);
  const category = required(values.category, '--category CAT', USAGE);
  const sequence = integer(required(values.sequence, '--sequence N', USAGE), '--sequence');
  const output = required(values.output, '-o OUT.klb', USAGE);
  const secretKey = await readSecretKey(required(values.key, '--key KEY', USAGE));
  // A fixed --created (or SOURCE_DATE_EPOCH) makes the build reproducible byte for byte.
  const createdMs = values.created
    ? Date.parse(values.created)
    : process.env.SOURCE_DATE_EPOCH
      ? Number(process.env.SOURCE_DATE_EPOCH) * 1000
      : Date.now();
  if (!Number.isFinite(createdMs))
    throw new UsageError(`--created must be an ISO 8601 time, got "${values.created}"`);
  const expiresDays = integer(values['expires-days'] ?? '30', '--expires-days');

  const entries = [];
  let problems = 0;
  for (const file of positionals) {
    const text = new TextDecoder().decode(await readBytes(file));
    const parsed = parseSource(text, file, values.format as SourceFormat | undefined);
    for (const p of parsed.problems) console.error(formatProblem(p));
    problems += parsed.problems.length;
    // One by one: spreading a million entries as arguments overflows the stack.
    for (const entry of parsed.entries) entries.push(entry);
  }
  if (problems && values.strict) {
    console.error(`${problems} bad lines; --strict: no bundle written`);
    return 1;
  }
  const expressions = expressionsOf(entries);
  const bytes = await buildBundle(expressions, {
    meta: {
      id,
      name: values.name ?? id,
      category,
      sequence,
      created: new Date(createdMs).toISOString(),
      expires: new Date(createdMs + expiresDays * DAY_MS).toISOString(),
      licence: values.licence ?? '',
    },
    secretKey,
    plaintext: values.plaintext ?? false,
    sha256: nativeSha256,
  });
  await writeFile(output, bytes);
  const skipped = problems ? `, ${problems} bad lines skipped` : '';
  console.log(
    `wrote ${output}: ${expressions.block.length} block and ${expressions.allow.length} allow entries, ${bytes.length} bytes${skipped}`,
  );
  return 0;
}

const TRUST = { trust: { type: 'string', multiple: true } } as const;

async function verify(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, TRUST, USAGE);
  const file = required(positionals[0], 'FILE.klb', USAGE);
  const trustedKeys = await readPublicKeys(required(values.trust, '--trust PUB', USAGE));
  try {
    const bundle = await loadBundleFile(file, { trustedKeys });
    console.log(
      `valid: "${bundle.meta.id}" sequence ${bundle.meta.sequence}, signed by ${bundle.meta.publisher}, expires ${bundle.meta.expires}`,
    );
    return 0;
  } catch (error) {
    console.error(`invalid: ${(error as Error).message}`);
    return 1;
  }
}

async function info(args: string[]): Promise<number> {
  const { positionals } = parse(args, {}, USAGE);
  const file = required(positionals[0], 'FILE.klb', USAGE);
  const found = inspectBundle(await readBytes(file));
  const { meta, header, sections } = found;
  const rows: [string, string | number][] = [
    ['file', basename(file)],
    ['id', meta.id],
    ['name', meta.name],
    ['category', meta.category],
    ['sequence', meta.sequence],
    ['publisher key', meta.publisher],
    ['created', meta.created],
    ['expires', meta.expires],
    ['licence', meta.licence || '(none)'],
    ['block entries', header.blockCount],
    ['allow entries', header.allowCount],
    ['plaintext', header.plaintextLength ? `${header.plaintextLength} bytes` : 'no (hashed only)'],
    ['hash bytes', (header.blockCount + header.allowCount) * 8],
    ['prefilter bytes', 2 ** header.prefilterLog2Bits / 8],
    ['total bytes', sections.total],
    ['signature', 'not checked here; run "kalkan lists verify"'],
  ];
  for (const [k, v] of rows) console.log(`${`${k}:`.padEnd(16)} ${v}`);
  return 0;
}

async function lookup(args: string[]): Promise<number> {
  const { values, positionals } = parse(
    args,
    { ...TRUST, list: { type: 'string', multiple: true } },
    USAGE,
  );
  const query = required(positionals[0], 'NAME_OR_URL', USAGE);
  const trustedKeys = await readPublicKeys(required(values.trust, '--trust PUB', USAGE));
  const files = required(values.list, '--list FILE.klb', USAGE);
  const bundles = await Promise.all(files.map((f) => loadBundleFile(f, { trustedKeys })));
  const matcher = new Matcher(bundles, { sha256: nativeSha256 });
  const verdict = query.includes('://') ? matcher.matchUrl(query) : matcher.match(query);
  console.log(verdict.blocked ? `blocked ${verdict.category} ${verdict.listId}` : 'allowed');
  return 0;
}

async function exportCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(
    args,
    {
      ...TRUST,
      format: { type: 'string' },
      zone: { type: 'string' },
      output: { type: 'string', short: 'o' },
    },
    USAGE,
  );
  const file = required(positionals[0], 'FILE.klb', USAGE);
  const format = required(values.format, '--format', USAGE);
  if (!(EXPORT_FORMATS as readonly string[]).includes(format)) {
    throw new UsageError(`--format must be one of ${EXPORT_FORMATS.join(', ')}, got "${format}"`);
  }
  const output = required(values.output, '-o FILE', USAGE);
  const trustedKeys = await readPublicKeys(required(values.trust, '--trust PUB', USAGE));
  const bundle = await loadBundleFile(file, { trustedKeys });
  const zone = values.zone;
  const exported = exportList(bundle, format as ExportFormat, zone ? { zone } : {});
  await writeFile(output, exported.text);
  for (const warning of exported.warnings) console.error(`warning: ${warning}`);
  console.log(`wrote ${output} (${format})`);
  return 0;
}
