/**
 * List sources: the formats a publisher can build a list from, detected and parsed into entries.
 * A bad line becomes a problem (`file:line: reason`) and is skipped; the caller decides whether
 * problems fail the build. Parsers read line by line, so a file of any size streams through.
 */
import { adblockParser } from './adblock.js';
import { SourceCollector } from './collector.js';
import { csvUrlParser } from './csv.js';
import { domainListParser } from './domains.js';
import type { ParsedSource, SourceProblem } from './entries.js';
import { hostsParser } from './hosts.js';
import { forEachLine } from './lines.js';
import { rpzZoneParser } from './rpz.js';
import type { EntrySink, LineParser, ParserFactory } from './sink.js';

export type { ListEntry, ParsedSource, SourceProblem } from './entries.js';

export const SOURCE_FORMATS = ['domains', 'hosts', 'adblock', 'rpz', 'csv'] as const;
export type SourceFormat = (typeof SOURCE_FORMATS)[number];

const PARSERS: Record<SourceFormat, ParserFactory> = {
  domains: domainListParser,
  hosts: hostsParser,
  adblock: adblockParser,
  rpz: rpzZoneParser,
  csv: csvUrlParser,
};

/** A format name as a user typed it (any case), or undefined when there is no such format. */
export function sourceFormatNamed(name: string): SourceFormat | undefined {
  const lower = name.toLowerCase();
  return SOURCE_FORMATS.find((format) => format === lower);
}

export function lineParser(format: SourceFormat, sink: EntrySink): LineParser {
  return PARSERS[format](sink);
}

/**
 * Recognizes a file's format from its first line of content: comment lines and blank lines are
 * skipped, however many there are. Feed lines until `decided`, then read `format`.
 */
export class FormatSniffer {
  private found: SourceFormat | undefined;

  constructor(fileName: string) {
    const extension = /\.([a-z0-9]+)$/i.exec(fileName)?.[1]?.toLowerCase();
    if (extension === 'csv') this.found = 'csv';
    if (extension === 'rpz' || extension === 'zone') this.found = 'rpz';
  }

  get decided(): boolean {
    return this.found !== undefined;
  }

  /** The format, `domains` when nothing but comments was seen. */
  get format(): SourceFormat {
    return this.found ?? 'domains';
  }

  line(raw: string): void {
    if (this.found !== undefined) return;
    const text = raw.replace(/^\uFEFF/, '').trim();
    if (text !== '') this.found = formatOfLine(text);
  }
}

export function detectFormat(fileName: string, text: string): SourceFormat {
  const sniffer = new FormatSniffer(fileName);
  forEachLine(text, (_number, raw) => sniffer.line(raw));
  return sniffer.format;
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

/** Parses a whole text held in memory (tests, demo lists); builds stream files instead. */
export function parseSource(
  text: string,
  fileName: string,
  format: SourceFormat = detectFormat(fileName, text),
): ParsedSource {
  const collector = new SourceCollector(fileName);
  const parser = lineParser(format, collector);
  forEachLine(text, (number, raw) => parser.line(number, raw));
  parser.end();
  return collector.result();
}

export function formatProblem(problem: SourceProblem): string {
  return `${problem.file}:${problem.line}: ${problem.reason}`;
}
