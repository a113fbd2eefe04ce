/**
 * List sources: the formats a publisher can build a list from, detected and parsed into entries.
 * A bad line becomes a problem (`file:line: reason`) and is skipped; the caller decides whether
 * problems fail the build.
 */
import { parseAdblock } from './adblock.js';
import { parseCsvUrls } from './csv.js';
import { parseDomainList } from './domains.js';
import type { ParsedSource, SourceProblem } from './entries.js';
import { parseHosts } from './hosts.js';
import { sourceLines } from './lines.js';
import { parseRpzZone } from './rpz.js';

export type { ListEntry, ParsedSource, SourceProblem } from './entries.js';

export type SourceFormat = 'domains' | 'hosts' | 'adblock' | 'rpz' | 'csv';

const PARSERS: Record<SourceFormat, (text: string, file: string) => ParsedSource> = {
  domains: parseDomainList,
  hosts: parseHosts,
  adblock: parseAdblock,
  rpz: parseRpzZone,
  csv: parseCsvUrls,
};

/** How many leading content lines are read to recognize a format when the file name does not tell. */
const SNIFFED_LINES = 50;

export function detectFormat(fileName: string, text: string): SourceFormat {
  const extension = /\.([a-z0-9]+)$/i.exec(fileName)?.[1]?.toLowerCase();
  if (extension === 'csv') return 'csv';
  if (extension === 'rpz' || extension === 'zone') return 'rpz';
  for (const line of sourceLines(text).slice(0, SNIFFED_LINES)) {
    const format = formatOfLine(line.text);
    if (format !== undefined) return format;
  }
  return 'domains';
}

/** The format a line gives away, or undefined for a comment line that several formats share. */
function formatOfLine(text: string): SourceFormat | undefined {
  if (/^\[adblock/i.test(text) || /^(!|\|\||@@)/.test(text)) return 'adblock';
  if (/^\$(ORIGIN|TTL)\b/i.test(text) || /\s(SOA|CNAME)\s/i.test(` ${text} `)) return 'rpz';
  if (/^(#|;)/.test(text)) return undefined;
  if (/^(\d{1,3}(\.\d{1,3}){3}|[0-9a-f]*:[0-9a-f:.%a-z]*)\s+\S/i.test(text)) return 'hosts';
  if (/^("?)url\1(,|$)|,\s*("?)url\3\s*(,|$)/i.test(text)) return 'csv';
  return 'domains';
}

export function parseSource(
  text: string,
  fileName: string,
  format: SourceFormat = detectFormat(fileName, text),
): ParsedSource {
  return PARSERS[format](text, fileName);
}

export function formatProblem(problem: SourceProblem): string {
  return `${problem.file}:${problem.line}: ${problem.reason}`;
}
