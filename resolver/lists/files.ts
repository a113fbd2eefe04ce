/** Reading keys and bundles from disk, with errors that name the file. */
import { readFile } from 'node:fs/promises';
import { type LoadedBundle, loadBundle, type TrustOptions } from '../../blocklists/bundle/load.js';
import { decodePublicKey, decodeSecretKey } from '../../blocklists/keys.js';

export async function readPublicKeys(paths: readonly string[]): Promise<Uint8Array[]> {
  return Promise.all(paths.map(async (p) => decodePublicKey(await readText(p), p)));
}

export async function readSecretKey(path: string): Promise<Uint8Array> {
  return decodeSecretKey(await readText(path), path);
}

export async function loadBundleFile(path: string, trust: TrustOptions): Promise<LoadedBundle> {
  const bytes = await readBytes(path);
  try {
    return await loadBundle(bytes, trust);
  } catch (error) {
    throw new Error(`${path}: ${(error as Error).message}`, { cause: error });
  }
}

export async function readBytes(path: string): Promise<Uint8Array> {
  try {
    const buffer = await readFile(path);
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  } catch (error) {
    throw new Error(
      `${path}: cannot read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
}

async function readText(path: string): Promise<string> {
  return new TextDecoder().decode(await readBytes(path));
}
