/**
 * Line-per-domain formats other DNS software and blockers import: hosts, dnsmasq, Unbound and
 * AdBlock. Each is a few templates over the same readable list.
 */
import { banner, droppedUrlsNote, type ReadableList } from './readable.js';

function lines(parts: string[]): string {
  return `${parts.join('\n')}\n`;
}

/** hosts files cannot exempt names nor cover subdomains; the header says so. */
export function hostsFile(list: ReadableList): string {
  return lines([
    ...banner(list, '#'),
    '# hosts entries block each name exactly; subdomains are not covered.',
    ...(list.allowDomains.length
      ? [`# ${list.allowDomains.length} allow entries left out: hosts files cannot exempt.`]
      : []),
    ...droppedUrlsNote(list, '#'),
    ...list.blockDomains.map((d) => `0.0.0.0 ${d}`),
  ]);
}

/** dnsmasq: `address=/d/` answers NXDOMAIN for d and its subdomains; `server=/d/#` exempts. */
export function dnsmasqFile(list: ReadableList): string {
  return lines([
    ...banner(list, '#'),
    ...droppedUrlsNote(list, '#'),
    ...list.blockDomains.map((d) => `address=/${d}/`),
    ...list.allowDomains.map((d) => `server=/${d}/#`),
  ]);
}

/** Unbound: an always_nxdomain local zone per name; allow entries become transparent zones. */
export function unboundFile(list: ReadableList): string {
  return lines([
    ...banner(list, '#'),
    ...droppedUrlsNote(list, '#'),
    'server:',
    ...list.blockDomains.map((d) => `  local-zone: "${d}." always_nxdomain`),
    ...list.allowDomains.map((d) => `  local-zone: "${d}." always_transparent`),
  ]);
}

/** AdBlock syntax keeps URL-level entries too: `||host/path`. */
export function adblockFile(list: ReadableList): string {
  return lines([
    '[Adblock Plus 2.0]',
    ...banner(list, '!'),
    ...list.blockDomains.map((d) => `||${d}^`),
    ...list.blockUrls.map((u) => `||${u}`),
    ...list.allowDomains.map((d) => `@@||${d}^`),
    ...list.allowUrls.map((u) => `@@||${u}`),
  ]);
}
