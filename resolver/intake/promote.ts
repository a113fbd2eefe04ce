/**
 * Closing the loop: hosts of confirmed reports go into a plain domain list, the source format
 * `kalkan lists build` takes. Existing entries in the file are kept; the file is written 0600
 * because a plaintext abuse list must not leak (the published bundle holds only hashes).
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { canonicalHostname } from '../../blocklists/canonical/hostname.js';
import type { TriageItem } from './opened.js';

export interface PromoteResult {
  added: string[];
  total: number;
}

export function confirmedHosts(items: readonly TriageItem[]): string[] {
  const hosts = new Set<string>();
  for (const item of items) {
    if (item.status !== 'confirmed') continue;
    const result = canonicalHostname(new URL(item.report.url).hostname);
    if (result.ok) hosts.add(result.host);
  }
  return [...hosts].sort();
}

export async function promoteHosts(hosts: readonly string[], file: string): Promise<PromoteResult> {
  let existingText = '';
  try {
    existingText = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const existing = new Set(
    existingText
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#')),
  );
  const added = hosts.filter((h) => !existing.has(h));
  const all = [...new Set([...existing, ...added])].sort();
  const text = `# Kalkan: hosts confirmed by the unit's analysts (kalkan intake promote).\n# Plaintext abuse list: keep it private; publish only the hashed bundle.\n${all.map((h) => `${h}\n`).join('')}`;
  const temp = `${file}.tmp-${process.pid}`;
  await writeFile(temp, text, { mode: 0o600 });
  await rename(temp, file);
  return { added, total: all.length };
}
