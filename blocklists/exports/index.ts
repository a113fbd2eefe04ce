/** One entry point for every export format, with what each format could not express. */
import type { LoadedBundle } from '../bundle/load.js';
import { type DnrRule, dnrRules, URL_FILTER_SPECIAL } from './dnr.js';
import { type ReadableList, readableList } from './readable.js';
import { rpzZoneLines } from './rpz.js';
import { adblockLines, dnsmasqLines, hostsLines, unboundLines } from './text-formats.js';

export const EXPORT_FORMATS = ['rpz', 'hosts', 'dnsmasq', 'unbound', 'adblock', 'dnr'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface ExportOptions {
  /** RPZ zone name; defaults to `<list id>.rpz.kalkan.invalid`. */
  zone?: string;
}

/** An export as lines (no newlines in them) to write as they come, and its warnings. */
export interface ExportedLines {
  lines: Iterable<string>;
  /** What the format could not express or left out, each with a count, for the operator. */
  warnings: string[];
}

export interface Exported {
  text: string;
  warnings: string[];
}

/**
 * The export line by line: `kalkan lists export` writes a list of 10,000,000 entries to its file
 * without ever holding the text (a JavaScript string cannot hold it).
 */
export function exportLines(
  bundle: LoadedBundle,
  format: ExportFormat,
  options: ExportOptions = {},
): ExportedLines {
  const list = readableList(bundle);
  const zone = options.zone ?? `${list.id}.rpz.kalkan.invalid`;
  const warnings = exportWarnings(list, format);
  switch (format) {
    case 'rpz': {
      const { lines, tooLong } = rpzZoneLines(list, { zone });
      if (tooLong) warnings.push(`${tooLong} names too long for the zone "${zone}" left out`);
      return { lines, warnings };
    }
    case 'hosts':
      return { lines: hostsLines(list), warnings };
    case 'dnsmasq':
      return { lines: dnsmasqLines(list), warnings };
    case 'unbound':
      return { lines: unboundLines(list), warnings };
    case 'adblock':
      return { lines: adblockLines(list), warnings };
    case 'dnr':
      return { lines: dnrJsonLines(dnrRules(list)), warnings };
  }
}

/** The same export as one text, for small lists (tests, previews). */
export function exportList(
  bundle: LoadedBundle,
  format: ExportFormat,
  options: ExportOptions = {},
): Exported {
  const { lines, warnings } = exportLines(bundle, format, options);
  const out: string[] = [];
  for (const line of lines) out.push(line);
  return { text: `${out.join('\n')}\n`, warnings };
}

/** A JSON array with one rule a line: valid JSON, written rule by rule. */
function* dnrJsonLines(rules: readonly DnrRule[]): Generator<string> {
  yield '[';
  for (const [i, rule] of rules.entries())
    yield `${JSON.stringify(rule)}${i < rules.length - 1 ? ',' : ''}`;
  yield ']';
}

function exportWarnings(list: ReadableList, format: ExportFormat): string[] {
  const warnings: string[] = [];
  if (list.shadowedBlocks)
    warnings.push(
      `${list.shadowedBlocks} block entries left out: an allow entry for the name or a parent wins`,
    );
  const urls = list.blockUrls.length + list.allowUrls.length;
  if (urls && format !== 'adblock' && format !== 'dnr')
    warnings.push(`${urls} URL-level entries left out: DNS cannot see paths`);
  const exact = list.blockExact.length + list.allowExact.length;
  if (exact && (format === 'dnsmasq' || format === 'unbound'))
    warnings.push(
      `${exact} exact-name entries left out: ${format} cannot match a name without its subdomains`,
    );
  if (format === 'hosts' && list.blockDomains.length)
    warnings.push(
      `${list.blockDomains.length} blocked domains are blocked by exact name only: hosts files cannot cover subdomains`,
    );
  if (format === 'dnr') {
    const special = (urls: string[]) => urls.filter((u) => URL_FILTER_SPECIAL.test(u)).length;
    const leftOut = special(list.blockUrls) + special(list.allowUrls);
    if (leftOut)
      warnings.push(`${leftOut} URL-level entries with * | or ^ left out: urlFilter reads them`);
  }
  return warnings;
}
