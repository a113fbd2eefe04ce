/**
 * Closing the loop: confirmed reports go into a list source that `kalkan lists build` takes. A
 * URL on a shared host (data/shared-hosting.txt, plus the unit's own list) becomes a URL entry,
 * so one page does not block the host's other users; any other URL makes its host an entry. A
 * `.csv` list (a `url` column) holds both kinds; a plain domain list only hosts, and says which
 * URLs it left out. Existing entries are kept; the file is written 0600 by rename, because a
 * plaintext abuse list must not leak (the published bundle holds only hashes).
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { canonicalHostname } from '../../blocklists/canonical/hostname.js';
import { urlEntryExpression } from '../../blocklists/canonical/url.js';
import { PACKAGE_ROOT } from '../serve/default-config.js';
import type { TriageItem } from './opened.js';

export const SHARED_HOSTING_FILE = join(PACKAGE_ROOT, 'resolver/intake/data/shared-hosting.txt');

export interface PromoteEntry {
  kind: 'host' | 'url';
  /** The canonical host, or the URL as reported (canonicalized by the list builder). */
  value: string;
}

export interface PromoteEntries {
  add: PromoteEntry[];
  /** Entries of URLs marked removed: they leave the list (unless another URL still needs them). */
  withdraw: PromoteEntry[];
}

export interface PromoteResult {
  added: string[];
  withdrawn: string[];
  total: number;
  /** URL entries a plain domain list cannot hold. */
  skipped: string[];
}

export async function readSharedHosts(extraFiles: readonly string[] = []): Promise<Set<string>> {
  const hosts = new Set<string>();
  for (const file of [SHARED_HOSTING_FILE, ...extraFiles]) {
    for (const line of listLines(await readFile(file, 'utf8'))) hosts.add(line.toLowerCase());
  }
  return hosts;
}

export function isSharedHost(host: string, shared: ReadonlySet<string>): boolean {
  const labels = host.split('.');
  return labels.some((_, i) => shared.has(labels.slice(i).join('.')));
}

/**
 * One entry per confirmed URL: a URL entry on a shared host, else a host entry. A URL marked
 * removed is withdrawn: the list keeps an entry only until the material is gone.
 */
export function confirmedEntries(
  items: readonly TriageItem[],
  shared: ReadonlySet<string>,
): PromoteEntries {
  const add = new Map<string, PromoteEntry>();
  const withdraw = new Map<string, PromoteEntry>();
  for (const item of items) {
    if (item.status !== 'confirmed') continue;
    const expression = urlEntryExpression(item.report.url);
    if (!expression.ok) continue;
    const host = canonicalHostname(expression.host);
    if (!host.ok) continue;
    const entry: PromoteEntry = isSharedHost(host.host, shared)
      ? { kind: 'url', value: item.report.url }
      : { kind: 'host', value: host.host };
    (item.caseState === 'removed' ? withdraw : add).set(`${entry.kind} ${entry.value}`, entry);
  }
  for (const key of add.keys()) withdraw.delete(key);
  return { add: [...add.values()], withdraw: [...withdraw.values()] };
}

export async function promoteEntries(
  { add: entries, withdraw }: PromoteEntries,
  file: string,
): Promise<PromoteResult> {
  const csv = file.toLowerCase().endsWith('.csv');
  let existingText = '';
  try {
    existingText = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const existing = new Set(listLines(existingText).filter((line) => !(csv && line === 'url')));
  const lines = entries
    .filter((e) => csv || e.kind === 'host')
    .map((e) => (csv ? csvLine(e) : e.value));
  const added = [...new Set(lines.filter((line) => !existing.has(line)))];
  const gone = new Set(withdraw.map((e) => (csv ? csvLine(e) : e.value)));
  const withdrawn = [...existing].filter((line) => gone.has(line));
  const all = [...new Set([...existing, ...added])].filter((line) => !gone.has(line)).sort();
  // A CSV source has no comments: its first line is the header.
  const header = csv
    ? 'url\n'
    : "# Kalkan: confirmed by the unit's analysts (kalkan intake promote).\n# Plaintext abuse list: keep it private; publish only the hashed bundle.\n";
  const temp = `${file}.tmp-${process.pid}`;
  await writeFile(temp, `${header}${all.map((line) => `${line}\n`).join('')}`, { mode: 0o600 });
  await rename(temp, file);
  return {
    added,
    withdrawn,
    total: all.length,
    skipped: csv ? [] : entries.filter((e) => e.kind === 'url').map((e) => e.value),
  };
}

/** A host entry is the whole site's URL, which the CSV source reads as a domain entry. */
function csvLine(entry: PromoteEntry): string {
  const url = entry.kind === 'host' ? `http://${entry.value}/` : entry.value;
  return /[",\r\n]/.test(url) ? `"${url.replace(/"/g, '""')}"` : url;
}

function listLines(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}
