/** One entry point for every export format. */
import type { LoadedBundle } from '../bundle/load.js';
import { dnrRules } from './dnr.js';
import { readableList } from './readable.js';
import { rpzZoneFile } from './rpz.js';
import { adblockFile, dnsmasqFile, hostsFile, unboundFile } from './text-formats.js';

export const EXPORT_FORMATS = ['rpz', 'hosts', 'dnsmasq', 'unbound', 'adblock', 'dnr'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface ExportOptions {
  /** RPZ zone name; defaults to `<list id>.rpz.kalkan.invalid`. */
  zone?: string;
}

export function exportList(
  bundle: LoadedBundle,
  format: ExportFormat,
  options: ExportOptions = {},
): string {
  const list = readableList(bundle);
  switch (format) {
    case 'rpz':
      return rpzZoneFile(list, { zone: options.zone ?? `${list.id}.rpz.kalkan.invalid` });
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
