import { whatwgHost } from '../canonical/hostname.js';
import { isIpAddress } from '../canonical/url.js';
import { SourceCollector } from './collector.js';
import type { ParsedSource } from './entries.js';
import { commentFrom, sourceLines } from './lines.js';

/** Names every system hosts file carries; lines made only of them are skipped without a word. */
const BOILERPLATE_NAMES = new Set([
  'localhost',
  'localhost.localdomain',
  'local',
  'broadcasthost',
  'ip6-localhost',
  'ip6-loopback',
  'ip6-localnet',
  'ip6-mcastprefix',
  'ip6-allnodes',
  'ip6-allrouters',
  'ip6-allhosts',
  '0.0.0.0',
]);

/** A hosts file: `address name...` lines, `#` comments; only names sent to a sink are blocked. */
export function parseHosts(text: string, file: string): ParsedSource {
  const collector = new SourceCollector(file);
  for (const line of sourceLines(text, commentFrom('#'))) {
    const [address = '', ...names] = line.text.split(/\s+/);
    if (!isIpAddress(address) && !address.includes(':')) {
      collector.problem(line.number, 'expected an address such as 0.0.0.0 before the names');
      continue;
    }
    const listed = names.filter((name) => !BOILERPLATE_NAMES.has(name.toLowerCase()));
    if (names.length === 0) {
      collector.problem(line.number, 'an address without names');
    } else if (listed.length > 0 && !isSinkAddress(address)) {
      // A real address maps names somewhere rather than blocking them.
      collector.problem(line.number, 'not a blocking address (use 0.0.0.0, 127.0.0.1, :: or ::1)');
    } else {
      for (const name of listed) collector.addDomain(line.number, name, false);
    }
  }
  return collector.result();
}

function isSinkAddress(address: string): boolean {
  if (!address.includes(':')) return address === '0.0.0.0' || address.startsWith('127.');
  const ipv6 = whatwgHost(`[${address}]`);
  return ipv6 === '[::]' || ipv6 === '[::1]';
}
