/**
 * `kalkan demo`: the demo lists (reserved .test names only), signed with the demo publisher key
 * that is committed on purpose in blocklists/demo/ (it signs nothing else).
 *
 *   kalkan demo [NAME_OR_URL...]    build them in memory and look names up
 *   kalkan demo build --out DIR     write DIR/demo-abuse.klb, DIR/demo-adult.klb and
 *                                   DIR/kalkan-bypass.klb
 *
 * The bypass list is not demo data: its source (blocklists/bypass/) holds real public resolver
 * names. It is built here, signed with the same key, so the default configuration closes the
 * usual ways around the filter from the first start; a publisher signs it with their own key.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildBundle, expressionsOf } from '../../blocklists/bundle/build.js';
import { loadBundle } from '../../blocklists/bundle/load.js';
import { Matcher } from '../../blocklists/matcher.js';
import { parseSource } from '../../blocklists/sources/parse.js';
import { readPublicKeys, readSecretKey } from '../lists/files.js';
import { nativeSha256 } from '../lists/native-sha256.js';
import { checkHelp, parse, required } from './usage.js';

const USAGE = `Usage: kalkan demo             build the demo lists and look a few names up in them
       kalkan demo build --out DIR`;

export const DEMO_DIR = fileURLToPath(new URL('../../../blocklists/demo/', import.meta.url));
export const DEMO_PUBLIC_KEY = join(DEMO_DIR, 'demo-publisher.pub');
const BYPASS_SOURCE = fileURLToPath(
  new URL('../../../blocklists/bypass/public-resolvers.txt', import.meta.url),
);
const DEMO_LICENCE = 'demo data: reserved names only';
const DEMO_LISTS = [
  {
    file: join(DEMO_DIR, 'abuse-demo.txt'),
    id: 'demo-abuse',
    name: 'Kalkan demo (abuse)',
    category: 'abuse',
    plaintext: false,
    licence: DEMO_LICENCE,
  },
  {
    file: join(DEMO_DIR, 'adult-demo.hosts'),
    id: 'demo-adult',
    name: 'Kalkan demo (adult)',
    category: 'adult',
    plaintext: true,
    licence: DEMO_LICENCE,
  },
  {
    file: BYPASS_SOURCE,
    id: 'kalkan-bypass',
    name: 'Kalkan bypass: public DoH/DoT resolvers, iCloud Private Relay',
    category: 'bypass',
    plaintext: true,
    licence: 'public names, redistributable in plain text',
  },
];
const DEMO_NAMES = [
  'abuse-demo.test',
  'www.abuse-demo.test',
  'adult-demo.test',
  'example.org',
  'mask.icloud.com',
  'dns.google',
  'https://csam-demo.example/any/page',
];
const VALID_DAYS = 365;

async function buildDemoBundles(): Promise<{ id: string; bytes: Uint8Array }[]> {
  const secretKey = await readSecretKey(join(DEMO_DIR, 'demo-publisher.key'));
  const now = new Date();
  return Promise.all(
    DEMO_LISTS.map(async (list) => {
      const text = await readFile(list.file, 'utf8');
      const bytes = await buildBundle(expressionsOf(parseSource(text, list.file).entries), {
        meta: {
          id: list.id,
          name: list.name,
          category: list.category,
          // Seconds since the epoch: every rebuild is newer than the last.
          sequence: Math.floor(now.getTime() / 1000),
          created: now.toISOString(),
          expires: new Date(now.getTime() + VALID_DAYS * 86_400_000).toISOString(),
          licence: list.licence,
        },
        secretKey,
        plaintext: list.plaintext,
        sha256: nativeSha256,
      });
      return { id: list.id, bytes };
    }),
  );
}

export async function demoCommand(args: string[]): Promise<number> {
  checkHelp(args, USAGE);
  if (args[0] === 'build') {
    const { values } = parse(args.slice(1), { out: { type: 'string' } }, USAGE);
    const dir = required(values.out, '--out DIR', USAGE);
    await mkdir(dir, { recursive: true });
    for (const { id, bytes } of await buildDemoBundles())
      await writeFile(join(dir, `${id}.klb`), bytes);
    console.log(`wrote demo lists to ${dir}`);
    return 0;
  }
  const trustedKeys = await readPublicKeys([DEMO_PUBLIC_KEY]);
  const bundles = await Promise.all(
    (await buildDemoBundles()).map(({ bytes }) => loadBundle(bytes, { trustedKeys })),
  );
  for (const b of bundles) {
    console.log(
      `built ${b.meta.id} (${b.meta.category}): ${b.byteLength} bytes, ${b.plaintext ? 'with' : 'no'} plaintext`,
    );
  }
  const matcher = new Matcher(bundles, { sha256: nativeSha256 });
  for (const name of args.length ? args : DEMO_NAMES) {
    const v = name.includes('://') ? matcher.matchUrl(name) : matcher.match(name);
    console.log(
      `${name.padEnd(40)} ${v.blocked ? `blocked ${v.category} ${v.listId}` : 'allowed'}`,
    );
  }
  return 0;
}
