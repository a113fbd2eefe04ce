import { whatwgHost } from '../canonical/hostname.js';
import { isIpAddress } from '../canonical/url.js';
import { commentFrom, contentOf } from './lines.js';
import { addListedDomain } from './listed-domain.js';
import type { EntrySink, LineParser } from './sink.js';

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

const hashComment = commentFrom('#');

/**
 * A hosts file: `address name...` lines, `#` comments; only names sent to a sink are blocked.
 * A name becomes a domain entry, which covers its subdomains too (see docs/publishing-lists.md).
 */
export function hostsParser(sink: EntrySink): LineParser {
  return {
    line(number, raw) {
      const line = contentOf(number, raw, hashComment);
      if (line !== undefined) readHostsLine(sink, number, line.text);
    },
    end() {},
  };
}

/** One `address name...` line; AdBlock lists may carry such lines too. */
export function readHostsLine(sink: EntrySink, number: number, text: string): void {
  const [address = '', ...names] = text.split(/\s+/);
  if (!isIpAddress(address) && !address.includes(':')) {
    sink.problem(number, 'expected an address such as 0.0.0.0 before the names');
    return;
  }
  const listed = names.filter((name) => !BOILERPLATE_NAMES.has(name.toLowerCase()));
  if (names.length === 0) {
    sink.problem(number, 'an address without names');
  } else if (listed.length > 0 && !isSinkAddress(address)) {
    // A real address maps names somewhere rather than blocking them.
    sink.problem(number, 'not a blocking address (use 0.0.0.0, 127.0.0.1, :: or ::1)');
  } else {
    for (const name of listed) addListedDomain(sink, number, name, false);
  }
}

function isSinkAddress(address: string): boolean {
  if (!address.includes(':')) return address === '0.0.0.0' || address.startsWith('127.');
  const ipv6 = whatwgHost(`[${address}]`);
  return ipv6 === '[::]' || ipv6 === '[::1]';
}
