/** `kalkan lists …`: the publisher's and the operator's tools for list bundles. */
import { mkdir, rename, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { BundleBuilder } from '../../blocklists/bundle/build.js';
import { inspectBundle } from '../../blocklists/bundle/load.js';
import { BundleSourceSink } from '../../blocklists/bundle/source-sink.js';
import { canonicalHostname } from '../../blocklists/canonical/hostname.js';
import { canonicalizeUrl } from '../../blocklists/canonical/url.js';
import { EXPORT_FORMATS, type ExportFormat, exportLines } from '../../blocklists/exports/index.js';
import { encodePublicKey, encodeSecretKey, generateKeyPair } from '../../blocklists/keys.js';
import { Matcher } from '../../blocklists/matcher.js';
import { exactNamesSink } from '../../blocklists/sources/exact-names.js';
import {
  formatProblem,
  lineParser,
  SOURCE_FORMATS,
  type SourceFormat,
  sourceFormatNamed,
} from '../../blocklists/sources/parse.js';
import { ProblemSummary } from '../../blocklists/sources/problem-summary.js';
import { loadBundleFile, readBytes, readPublicKeys, readSecretKey } from '../lists/files.js';
import { writeLineFile } from '../lists/line-file.js';
import { nativeSha256, nativeSha256Bytes } from '../lists/native-sha256.js';
import { readLines, sniffFormat } from '../lists/source-file.js';
import { integer, parse, required, runSubcommand, UsageError } from './usage.js';

const USAGE = `Usage:
  kalkan lists keygen --out DIR [--force]
  kalkan lists build [SRC...] [--exact-hosts HOSTS_FILE]... --id ID --category CAT --sequence N --key KEY [--name NAME]
                     [--licence TEXT] [--created ISO] [--expires-days N]
                     [--format ${SOURCE_FORMATS.join('|')}] [--plaintext]
                     [--strict | --allow-bad-lines] [--allow-empty] -o OUT.klb
  kalkan lists verify FILE.klb... --trust PUB...
  kalkan lists info FILE.klb...
  kalkan lists lookup NAME_OR_URL --list FILE.klb [FILE.klb...] --trust PUB...
  kalkan lists export FILE.klb --trust PUB --format ${EXPORT_FORMATS.join('|')} [--zone NAME] -o FILE

keygen refuses to replace an existing key; --force moves it aside to a dated backup first.
build reads each SRC line by line (any size), in the format its name and first line of content
tell, or --format for all. It fails when the sources give no entry (--allow-empty to publish an
empty list) or when a source has more bad lines than entries (--allow-bad-lines); --strict fails
on any bad line. Bad lines are listed as FILE:LINE: reason and summarized by reason.
A SRC name covers its subdomains; --exact-hosts reads a hosts file whose names are meant
exactly (a lookup of www.NAME is not blocked by NAME).`;

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
  const { values } = parse(args, { out: { type: 'string' }, force: { type: 'boolean' } }, USAGE);
  const dir = required(values.out, '--out DIR', USAGE);
  const secretPath = join(dir, 'publisher.key');
  const publicPath = join(dir, 'publisher.pub');
  const existing = (await Promise.all([secretPath, publicPath].map(exists))).some(Boolean);
  if (existing && !values.force) {
    console.error(
      `${dir} already holds a publisher key: every deployment pins it, so it is not replaced.` +
        ' Use --force to move the old one aside (kept as a dated backup).',
    );
    return 1;
  }
  const { secretKey, publicKey } = await generateKeyPair();
  await mkdir(dir, { recursive: true, mode: 0o700 });
  if (existing) {
    const stamp = new Date().toISOString().replace(/[-:]/g, '');
    for (const path of [secretPath, publicPath]) {
      if (await exists(path)) {
        await rename(path, `${path}.${stamp}.bak`);
        console.error(`moved the old ${basename(path)} to ${path}.${stamp}.bak`);
      }
    }
  }
  await writeFile(secretPath, encodeSecretKey(secretKey), { mode: 0o600, flag: 'wx' });
  await writeFile(publicPath, encodePublicKey(publicKey), { mode: 0o644, flag: 'wx' });
  console.log(`wrote ${secretPath} (keep it secret) and ${publicPath}`);
  return 0;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
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
      'allow-bad-lines': { type: 'boolean' },
      'allow-empty': { type: 'boolean' },
      'exact-hosts': { type: 'string', multiple: true },
      output: { type: 'string', short: 'o' },
    },
    USAGE,
  );
  const sources = [
    ...positionals.map((file) => ({ file, exact: false })),
    ...(values['exact-hosts'] ?? []).map((file) => ({ file, exact: true })),
  ];
  if (sources.length === 0) throw new UsageError(`no source files given\n${USAGE}`);
  const forcedFormat = values.format === undefined ? undefined : formatOption(values.format);
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

  const builder = new BundleBuilder({
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
    digest: nativeSha256Bytes,
  });
  const problems = new ProblemSummary();
  const notes = new ProblemSummary();
  const failures: string[] = [];
  let entries = 0;
  for (const { file, exact } of sources) {
    const format = exact ? 'hosts' : (forcedFormat ?? (await sniffFormat(file)));
    const sink = new BundleSourceSink(file, builder, (problem, kind) => {
      console.error(`${formatProblem(problem)}${kind === 'note' ? ' (note)' : ''}`);
      (kind === 'note' ? notes : problems).add(problem);
    });
    const parser = lineParser(format, exact ? exactNamesSink(sink) : sink);
    await readLines(file, (number, raw) => {
      parser.line(number, raw);
      return undefined;
    });
    parser.end();
    entries += sink.entries;
    if (sink.problems > sink.entries && !values['allow-bad-lines']) {
      failures.push(
        `${file}: more bad lines (${sink.problems}) than entries (${sink.entries}) read as ${format};` +
          ' check --format, or --allow-bad-lines',
      );
    }
  }
  printSummary('bad lines skipped', problems);
  printSummary('notes', notes);
  if (problems.count > 0 && values.strict) failures.push(`${problems.count} bad lines; --strict`);
  if (entries === 0 && !values['allow-empty']) {
    failures.push('the sources gave no entry (an empty list needs --allow-empty)');
  }
  if (failures.length > 0) {
    for (const failure of failures) console.error(failure);
    console.error('no bundle written');
    return 1;
  }
  const built = await builder.finish();
  await writeFile(output, built.bytes);
  const skipped = problems.count ? `, ${problems.count} bad lines skipped` : '';
  console.log(
    `wrote ${output}: ${built.blockCount} block and ${built.allowCount} allow entries, ${built.bytes.length} bytes${skipped}`,
  );
  return 0;
}

function formatOption(value: string): SourceFormat {
  const format = sourceFormatNamed(value);
  if (format === undefined) {
    throw new UsageError(`--format must be one of ${SOURCE_FORMATS.join(', ')}, got "${value}"`);
  }
  return format;
}

function printSummary(title: string, summary: ProblemSummary): void {
  if (summary.count === 0) return;
  console.error(`${summary.count} ${title}, by reason:`);
  for (const line of summary.lines()) console.error(line);
}

const TRUST = { trust: { type: 'string', multiple: true } } as const;

async function verify(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, TRUST, USAGE);
  required(positionals[0], 'FILE.klb', USAGE);
  const trustedKeys = await readPublicKeys(required(values.trust, '--trust PUB', USAGE));
  let status = 0;
  for (const file of positionals) {
    try {
      const bundle = await loadBundleFile(file, { trustedKeys, digest: nativeSha256Bytes });
      const name = positionals.length > 1 ? `${file}: ` : '';
      console.log(
        `${name}valid: "${bundle.meta.id}" sequence ${bundle.meta.sequence}, signed by ${bundle.meta.publisher}, expires ${bundle.meta.expires}`,
      );
    } catch (error) {
      console.error(`invalid: ${(error as Error).message}`);
      status = 1;
    }
  }
  return status;
}

async function info(args: string[]): Promise<number> {
  const { positionals } = parse(args, {}, USAGE);
  required(positionals[0], 'FILE.klb', USAGE);
  for (const [i, file] of positionals.entries()) {
    if (i > 0) console.log('');
    await printInfo(file);
  }
  return 0;
}

async function printInfo(file: string): Promise<void> {
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
}

async function lookup(args: string[]): Promise<number> {
  const { values, positionals } = parse(
    args,
    { ...TRUST, list: { type: 'string', multiple: true } },
    USAGE,
  );
  // Files after the name belong to --list (`--list a.klb b.klb`).
  const [query, ...moreLists] = positionals;
  if (query === undefined) throw new UsageError(`missing NAME_OR_URL\n${USAGE}`);
  const problem = queryProblem(query);
  if (problem) throw new UsageError(`"${query}" ${problem}\n${USAGE}`);
  const trustedKeys = await readPublicKeys(required(values.trust, '--trust PUB', USAGE));
  const files = [...required(values.list, '--list FILE.klb', USAGE), ...moreLists];
  const bundles = await Promise.all(
    files.map((f) => loadBundleFile(f, { trustedKeys, digest: nativeSha256Bytes })),
  );
  const matcher = new Matcher(bundles, { sha256: nativeSha256 });
  const verdict = query.includes('://') ? matcher.matchUrl(query) : matcher.match(query);
  console.log(verdict.blocked ? `blocked ${verdict.category} ${verdict.listId}` : 'allowed');
  return 0;
}

/** Why a name or URL cannot be looked up, or undefined when it can. */
function queryProblem(query: string): string | undefined {
  if (query.trim() === '') return 'is empty: give a hostname or an http(s) URL';
  if (query.includes('://')) {
    const url = canonicalizeUrl(query);
    return url.ok ? undefined : `is not a URL that can be looked up: ${url.reason}`;
  }
  const host = canonicalHostname(query);
  return host.ok ? undefined : `is not a hostname that can be looked up: ${host.reason}`;
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
  const bundle = await loadBundleFile(file, { trustedKeys, digest: nativeSha256Bytes });
  const zone = values.zone;
  const exported = exportLines(bundle, format as ExportFormat, zone ? { zone } : {});
  // An export is the list in clear: readable by its owner only, whatever the umask.
  const lines = await writeLineFile(output, exported.lines, 0o600);
  for (const warning of exported.warnings) console.error(`warning: ${warning}`);
  console.error(
    `warning: ${output} holds the list in clear; it is readable by its owner only (0600)` +
      ' and should be kept as private as the list',
  );
  console.log(`wrote ${output} (${format}, ${lines} lines)`);
  return 0;
}
