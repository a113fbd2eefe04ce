/**
 * `kalkan demo`: builds signed bundles from the demo sources (reserved .test names) with a
 * fresh key, then looks names up in them. Shows the whole list path in one command.
 */
import { readFile } from 'node:fs/promises';
import { buildBundle, expressionsOf } from '../../blocklists/bundle/build.js';
import { loadBundle } from '../../blocklists/bundle/load.js';
import { generateKeyPair } from '../../blocklists/keys.js';
import { Matcher } from '../../blocklists/matcher.js';
import { parseSource } from '../../blocklists/sources/parse.js';
import { nativeSha256 } from '../lists/native-sha256.js';

const DEMO_SOURCES = new URL('../../../blocklists/demo/', import.meta.url);
const DEMO_LISTS = [
  { file: 'abuse-demo.txt', id: 'demo-abuse', category: 'abuse', plaintext: false },
  { file: 'adult-demo.hosts', id: 'demo-adult', category: 'adult', plaintext: true },
];
const DEMO_NAMES = [
  'abuse-demo.test',
  'www.abuse-demo.test',
  'adult-demo.test',
  'example.org',
  'https://csam-demo.example/any/page',
];

export async function demoCommand(names: string[] = []): Promise<number> {
  const { secretKey, publicKey } = await generateKeyPair();
  const now = new Date();
  const bundles = await Promise.all(
    DEMO_LISTS.map(async (list) => {
      const text = await readFile(new URL(list.file, DEMO_SOURCES), 'utf8');
      const bytes = await buildBundle(expressionsOf(parseSource(text, list.file).entries), {
        meta: {
          id: list.id,
          name: list.id,
          category: list.category,
          sequence: 1,
          created: now.toISOString(),
          expires: new Date(now.getTime() + 86_400_000).toISOString(),
          licence: 'demo',
        },
        secretKey,
        plaintext: list.plaintext,
        sha256: nativeSha256,
      });
      console.log(
        `built ${list.id} (${list.category}): ${bytes.length} bytes, ${list.plaintext ? 'with' : 'no'} plaintext`,
      );
      return loadBundle(bytes, { trustedKeys: [publicKey] });
    }),
  );
  const matcher = new Matcher(bundles, { sha256: nativeSha256 });
  for (const name of names.length ? names : DEMO_NAMES) {
    const v = name.includes('://') ? matcher.matchUrl(name) : matcher.match(name);
    console.log(
      `${name.padEnd(40)} ${v.blocked ? `blocked ${v.category} ${v.listId}` : 'allowed'}`,
    );
  }
  return 0;
}
