import { canonicalHostname, type HostnameResult } from '../canonical/hostname.js';

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
