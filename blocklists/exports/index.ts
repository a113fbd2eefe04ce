/** One entry point for every export format, with what each format could not express. */
import type { LoadedBundle } from '../bundle/load.js';
import { dnrRules, URL_FILTER_SPECIAL } from './dnr.js';
import { type ReadableList, readableList } from './readable.js';
import { fitRpzZone, rpzPolicy, rpzZoneFile } from './rpz.js';
import { adblockFile, dnsmasqFile, hostsFile, unboundFile } from './text-formats.js';

export const EXPORT_FORMATS = ['rpz', 'hosts', 'dnsmasq', 'unbound', 'adblock', 'dnr'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface ExportOptions {
  /** RPZ zone name; defaults to `<list id>.rpz.kalkan.invalid`. */
  zone?: string;
}

export interface Exported {
  text: string;
  /** What the format could not express or left out, each with a count, for the operator. */
  warnings: string[];
}

export function exportList(
  bundle: LoadedBundle,
  format: ExportFormat,
  options: ExportOptions = {},
): Exported {
  const list = readableList(bundle);
  const zone = options.zone ?? `${list.id}.rpz.kalkan.invalid`;
  return { text: exportText(list, format, zone), warnings: exportWarnings(list, format, zone) };
}

function exportText(list: ReadableList, format: ExportFormat, zone: string): string {
  switch (format) {
    case 'rpz':
      return rpzZoneFile(list, { zone });
    case 'hosts':
      return hostsFile(list);
    case 'dnsmasq':
      return dnsmasqFile(list);
    case 'unbound':
      return unboundFile(list);
    case 'adblock':
      return adblockFile(list);
    case 'dnr':
      return `${JSON.stringify(dnrRules(list), null, 1)}\n`;
  }
}

function exportWarnings(list: ReadableList, format: ExportFormat, zone: string): string[] {
  const warnings: string[] = [];
  if (list.shadowedBlocks)
    warnings.push(
      `${list.shadowedBlocks} block entries left out: an allow entry for the name or a parent wins`,
    );
  const urls = list.blockUrls.length + list.allowUrls.length;
  if (urls && format !== 'adblock' && format !== 'dnr')
    warnings.push(`${urls} URL-level entries left out: DNS cannot see paths`);
  if (format === 'hosts' && list.blockDomains.length)
    warnings.push(
      `${list.blockDomains.length} blocked domains are blocked by exact name only: hosts files cannot cover subdomains`,
    );
  if (format === 'rpz') {
    const { tooLong } = fitRpzZone(rpzPolicy(list).list, zone.replace(/\.$/, '').toLowerCase());
    if (tooLong) warnings.push(`${tooLong} names too long for the zone "${zone}" left out`);
  }
  if (format === 'dnr') {
    const special = (urls: string[]) => urls.filter((u) => URL_FILTER_SPECIAL.test(u)).length;
    const leftOut = special(list.blockUrls) + special(list.allowUrls);
    if (leftOut)
      warnings.push(`${leftOut} URL-level entries with * | or ^ left out: urlFilter reads them`);
  }
  return warnings;
}
