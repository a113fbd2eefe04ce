/**
 * Line-per-domain formats other DNS software and blockers import: hosts, dnsmasq, Unbound and
 * AdBlock. Each is a few templates over the same readable list, which holds no block entry
 * equal to or under an allow entry (effective.ts): "most specific entry wins" then agrees with
 * the matcher.
 */
import {
  banner,
  droppedExactNote,
  droppedUrlsNote,
  type ReadableList,
  shadowedNote,
} from './readable.js';

/**
 * Header lines, then one line per item, yielded one by one: a list of millions of lines is
 * written as it comes, never held as one string.
 */
function* lines<T>(
  header: string[],
  ...groups: [readonly T[], (item: T) => string][]
): Generator<string> {
  yield* header;
  for (const [items, line] of groups) for (const item of items) yield line(item);
}

/**
 * hosts files name exact hosts: each blocked domain is listed, its subdomains are not covered;
 * exact-name entries are what hosts lines say. Allow entries need no line: no listed name is
 * allowed (a blocked domain with an exact allow entry for itself is left out), and nothing else
 * is blocked.
 */
export function hostsLines(list: ReadableList): Iterable<string> {
  const exactAllowed = new Set(list.allowExact);
  return lines(
    [
      ...banner(list, '#'),
      '# hosts entries block each name exactly; subdomains are not covered.',
      ...shadowedNote(list, '#'),
      ...droppedUrlsNote(list, '#'),
    ],
    [
      exactAllowed.size ? list.blockDomains.filter((d) => !exactAllowed.has(d)) : list.blockDomains,
      (d: string) => `0.0.0.0 ${d}`,
    ],
    [list.blockExact, (d: string) => `0.0.0.0 ${d}`],
  );
}

/**
 * dnsmasq: `address=/d/` answers NXDOMAIN for d and its subdomains; `server=/d/#` sends d and
 * its subdomains to the usual upstreams. dnsmasq applies the longest matching domain.
 */
export function dnsmasqLines(list: ReadableList): Iterable<string> {
  return lines(
    [
      ...banner(list, '#'),
      ...shadowedNote(list, '#'),
      ...droppedUrlsNote(list, '#'),
      ...droppedExactNote(list, '#'),
    ],
    [list.blockDomains, (d: string) => `address=/${d}/`],
    [list.allowDomains, (d: string) => `server=/${d}/#`],
  );
}

/**
 * Unbound: an always_nxdomain local zone per blocked domain, an always_transparent one per
 * allowed domain; Unbound applies the closest enclosing local zone.
 */
export function unboundLines(list: ReadableList): Iterable<string> {
  return lines(
    [
      ...banner(list, '#'),
      ...shadowedNote(list, '#'),
      ...droppedUrlsNote(list, '#'),
      ...droppedExactNote(list, '#'),
      'server:',
    ],
    [list.blockDomains, (d: string) => `  local-zone: "${d}." always_nxdomain`],
    [list.allowDomains, (d: string) => `  local-zone: "${d}." always_transparent`],
  );
}

/**
 * AdBlock syntax keeps URL-level entries too: `||host/path`. An `@@` exception beats every
 * blocking rule, at any depth, as allow entries do in the matcher. Exact names are `|name^`
 * (AdGuard's and hostlist-compiler's exact-host rule).
 */
export function adblockLines(list: ReadableList): Iterable<string> {
  return lines(
    ['[Adblock Plus 2.0]', ...banner(list, '!'), ...shadowedNote(list, '!')],
    [list.blockDomains, (d: string) => `||${d}^`],
    [list.blockUrls, (u: string) => `||${u}`],
    [list.blockExact, (d: string) => `|${d}^`],
    [list.allowDomains, (d: string) => `@@||${d}^`],
    [list.allowExact, (d: string) => `@@|${d}^`],
    [list.allowUrls, (u: string) => `@@||${u}`],
  );
}
