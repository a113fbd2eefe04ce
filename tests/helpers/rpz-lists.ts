/** Plaintext list files for the RPZ primary's tests, signed by the shared test key. */
import { writeFile } from 'node:fs/promises';
import { bundleBytes, testKey } from './bundles.js';

export async function writeList(
  path: string,
  sequence: number,
  block: string[],
  options: { allow?: string[]; plaintext?: boolean } = {},
): Promise<void> {
  const bytes = await bundleBytes(
    {
      block: block.map((d) => `${d}/`).sort(),
      allow: (options.allow ?? []).map((d) => `${d}/`).sort(),
    },
    { meta: { id: 'isp-test', category: 'abuse', sequence }, plaintext: options.plaintext ?? true },
  );
  // Write then rename would be atomic; tests write in place, as an operator's cp does.
  await writeFile(path, bytes);
}

export async function trustedKeys(): Promise<Uint8Array[]> {
  return [(await testKey()).publicKey];
}
