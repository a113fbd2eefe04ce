/**
 * The matcher's rule, in a form every export can state: an allow entry for a name or any parent
 * beats every block entry (blocklists/matcher.ts), and an entry covers its subdomains. Block
 * entries under (or equal to) an allowed name can never block anything, so they are left out.
 * What remains has no block entry below an allow entry, and then "the most specific entry wins"
 * (RPZ, Unbound local zones, dnsmasq) gives exactly the matcher's verdict: the longest listed
 * suffix of a name is an allow entry if and only if some suffix is one.
 *
 * Exact-name entries match the name alone: an exact block entry is left out when an allow entry
 * (for the name or a parent, or an exact one for the name) wins; an exact allow entry may sit on
 * or under a block entry and exempts that one name, which each format says in its own way.
 */

/** Block domains no allow entry overrides, in their original order, and how many were dropped. */
export function unshadowedBlocks(
  blockDomains: readonly string[],
  allowDomains: readonly string[],
): { blockDomains: string[]; shadowed: number } {
  if (allowDomains.length === 0) return { blockDomains: blockDomains.slice(), shadowed: 0 };
  const allowed = new Set(allowDomains);
  const kept = blockDomains.filter((domain) => !hasAllowedSuffix(domain, allowed));
  return { blockDomains: kept, shadowed: blockDomains.length - kept.length };
}

/** True if the domain or a parent of at least two labels (as the matcher walks) is allowed. */
function hasAllowedSuffix(domain: string, allowed: ReadonlySet<string>): boolean {
  if (allowed.has(domain)) return true;
  for (let dot = domain.indexOf('.'); dot >= 0; dot = domain.indexOf('.', dot + 1)) {
    const parent = domain.slice(dot + 1);
    if (parent.includes('.') && allowed.has(parent)) return true;
  }
  return false;
}

/** Exact block entries no allow entry overrides, and how many were dropped. */
export function unshadowedExact(
  blockExact: readonly string[],
  allowDomains: readonly string[],
  allowExact: readonly string[],
): { blockExact: string[]; shadowed: number } {
  if (allowDomains.length === 0 && allowExact.length === 0)
    return { blockExact: blockExact.slice(), shadowed: 0 };
  const allowed = new Set(allowDomains);
  const exactAllowed = new Set(allowExact);
  const kept = blockExact.filter(
    (name) => !exactAllowed.has(name) && !hasAllowedSuffix(name, allowed),
  );
  return { blockExact: kept, shadowed: blockExact.length - kept.length };
}
