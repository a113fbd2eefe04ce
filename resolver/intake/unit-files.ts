/**
 * The unit's files: `unit.key` (secret, 0600), `unit.pub` (handed to every reporting device) and
 * `unit.json` (the organisation named as reporter and sender in XARF exports).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { decodeUnitSecretKey } from '../../reporting/keys.js';
import type { XarfParty } from '../../reporting/xarf.js';

export const UNIT_FILES = { secret: 'unit.key', public: 'unit.pub', party: 'unit.json' } as const;

const partySchema = z.strictObject({
  org: z.string().min(1).max(200),
  contact: z.email(),
  domain: z.string().regex(/^[a-z0-9.-]+$/i, 'must be a host name'),
});

export async function readUnitSecretKey(path: string): Promise<Uint8Array> {
  return decodeUnitSecretKey(await readFile(path, 'utf8'), path);
}

/** The party file next to the key; a clear error when it is missing or wrong. */
export async function readUnitParty(keyPath: string): Promise<XarfParty> {
  const path = join(dirname(keyPath), UNIT_FILES.party);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new Error(`${path}: missing; "kalkan intake keygen --org --contact --domain" writes it`);
  }
  const result = partySchema.safeParse(JSON.parse(text));
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new Error(`${path}: ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
  }
  return result.data;
}

export async function writeUnitParty(dir: string, party: XarfParty): Promise<void> {
  const checked = partySchema.parse(party);
  await writeFile(join(dir, UNIT_FILES.party), `${JSON.stringify(checked, null, 2)}\n`);
}
