import { canonicalHostname, type HostnameResult } from '../canonical/hostname.js';
import type { EntrySink } from './sink.js';

/**
 * A domain as lists write it (any case, IDN, trailing dot, or `*.` in front) as the host of a
 * domain entry. A domain entry already covers every subdomain, so `*.d` is simply d.
 */
export function listedDomain(name: string): HostnameResult {
  const bare = name.startsWith('*.') ? name.slice(2) : name;
  if (bare.includes('*'))
    return { ok: false, reason: 'a wildcard is supported only as a leading "*."' };
  return canonicalHostname(bare);
}

/** Sends a domain as the list wrote it to `sink`, or the reason it cannot be one. */
export function addListedDomain(sink: EntrySink, line: number, name: string, allow: boolean): void {
  const listed = listedDomain(name);
  if (listed.ok) sink.add(line, { kind: 'domain', host: listed.host, allow });
  else sink.problem(line, listed.reason);
}
