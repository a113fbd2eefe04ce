/**
 * RPZ (draft-vixie-dnsop-dns-rpz): `name CNAME .` answers NXDOMAIN for the name, `*.name`
 * covers its subdomains, `CNAME rpz-passthru.` exempts. The records are shared with the RPZ
 * primary, which serves the same zone over AXFR/IXFR.
 *
 * Resolvers apply the most specific trigger of a zone: an exact owner before a wildcard, a
 * longer wildcard before a shorter one. The readable list has no block entry equal to or under
 * an allow entry (effective.ts), so no owner gets two CNAMEs. One more rule matters: BIND looks
 * a name up in the policy zone as DNS does, and a wildcard never matches a name that exists in
 * the zone, even only as the parent of a deeper owner (an empty non-terminal). So `rpzPolicy`
 * drops block entries under a blocked name (they add nothing) and gives every name between a
 * blocked name and an allowed one below it records of its own.
 *
 * An exact block entry is `name CNAME .` without `*.name`. An exact allow entry exempts a name a
 * block entry covers: that name is named as a blocked domain whose own record is
 * `CNAME rpz-passthru.` while `*.name` still blocks its subdomains.
 */
import { banner, droppedUrlsNote, type ReadableList, shadowedNote } from './readable.js';

export interface RpzRecord {
  /** Owner name relative to the zone origin. */
  name: string;
  target: '.' | 'rpz-passthru.';
}

export interface RpzZoneOptions {
  zone: string;
  ttl?: number;
}

/**
 * The apex NS. A policy zone is never asked for by name, but BIND refuses to load a zone whose
 * NS has no address; `localhost.` is what BIND's own RPZ examples use.
 */
export const RPZ_NS = 'localhost';

export function rpzRecords(list: ReadableList): RpzRecord[] {
  return Array.from(eachRpzRecord(list));
}

/** The records one by one: the zone file export writes millions of them as they come. */
export function* eachRpzRecord(list: ReadableList): Generator<RpzRecord> {
  const exactAllowed = new Set(list.allowExact);
  for (const d of list.blockDomains) {
    yield { name: d, target: exactAllowed.has(d) ? 'rpz-passthru.' : '.' };
    yield { name: `*.${d}`, target: '.' };
  }
  for (const d of list.blockExact) yield { name: d, target: '.' };
  for (const d of list.allowDomains) {
    yield { name: d, target: 'rpz-passthru.' };
    yield { name: `*.${d}`, target: 'rpz-passthru.' };
  }
}

/**
 * The domains the zone names: block entries without a blocked parent, plus the names between a
 * blocked domain and an allowed domain below it (`filled`), which then block like their parent;
 * allow entries as they are. Exact block entries under a blocked domain add nothing and go;
 * an exact allow entry is kept only where a block entry covers the name, and that name is
 * named (filled) as a blocked domain too, so that `*.name` keeps blocking its subdomains.
 */
export function rpzPolicy(list: ReadableList): { list: ReadableList; filled: number } {
  // One set of the block entries (10,000,000 at publisher scale); the named ones are tested
  // against it rather than copied into a second set.
  const blocked = new Set(list.blockDomains);
  const allowed = new Set(list.allowDomains);
  const underBlocked = (d: string) => someParent(d, (p) => blocked.has(p));
  const blockDomains = list.blockDomains.filter((d) => !underBlocked(d));
  const named = { has: (d: string) => blocked.has(d) && !underBlocked(d) };
  // Walk up from each allowed domain to the nearest named domain: if that blocks, so must
  // every name on the way. (Only allow entries can sit below a block entry now.)
  const allowedAt = (d: string) => allowed.has(d) || someParent(d, (p) => allowed.has(p));
  const coveredByBlock = (d: string) => blocked.has(d) || underBlocked(d);
  const blockExact = list.blockExact.filter((n) => !coveredByBlock(n));
  const allowExact = list.allowExact.filter((n) => coveredByBlock(n) && !allowedAt(n));
  const filled = new Set<string>();
  const fillUpFrom = (domain: string, between: string[]) =>
    someParent(domain, (parent) => {
      if (allowed.has(parent)) return true;
      if (named.has(parent)) {
        for (const name of between) filled.add(name);
        return true;
      }
      between.push(parent);
      return false;
    });
  for (const domain of list.allowDomains) fillUpFrom(domain, []);
  for (const name of allowExact) if (!named.has(name)) fillUpFrom(name, [name]);
  for (const name of filled) blockDomains.push(name);
  return {
    list: { ...list, blockDomains, blockExact, allowExact },
    filled: filled.size,
  };
}

/** Visits the parents of `domain`, nearest first, until `visit` returns true. */
function someParent(domain: string, visit: (parent: string) => boolean): boolean {
  for (let dot = domain.indexOf('.'); dot >= 0; dot = domain.indexOf('.', dot + 1))
    if (visit(domain.slice(dot + 1))) return true;
  return false;
}

/** The list without the domains for which `*.name.zone` would be longer than a DNS name may be. */
export function fitRpzZone(
  list: ReadableList,
  zone: string,
): { list: ReadableList; tooLong: number } {
  // 255 wire bytes: `*.` + name + `.` + origin + root.
  const fits = (d: string) => d.length + zone.length + 5 <= 255;
  const blockDomains = list.blockDomains.filter(fits);
  const allowDomains = list.allowDomains.filter(fits);
  const blockExact = list.blockExact.filter(fits);
  const tooLong =
    list.blockDomains.length -
    blockDomains.length +
    list.allowDomains.length -
    allowDomains.length +
    list.blockExact.length -
    blockExact.length;
  return { list: tooLong ? { ...list, blockDomains, allowDomains, blockExact } : list, tooLong };
}

/** SOA fields: serial is the bundle sequence so secondaries see every new list. */
export function rpzSoa(zone: string, serial: number) {
  return {
    mname: `ns.${zone}`,
    rname: `hostmaster.${zone}`,
    serial,
    refresh: 3600,
    retry: 600,
    expire: 2_419_200,
    minimum: 300,
  };
}

/** The zone file's lines, yielded one by one, and how many names were too long for it. */
export function rpzZoneLines(
  readable: ReadableList,
  options: RpzZoneOptions,
): { lines: Iterable<string>; tooLong: number } {
  const zone = options.zone.replace(/\.$/, '').toLowerCase();
  const ttl = options.ttl ?? 300;
  const policy = rpzPolicy(readable);
  const { list, tooLong } = fitRpzZone(policy.list, zone);
  const soa = rpzSoa(zone, list.sequence);
  const header = [
    ...banner(list, ';'),
    ...droppedUrlsNote(list, ';'),
    ...shadowedNote(list, ';'),
    ...(policy.filled
      ? [
          `; ${policy.filled} names between a blocked name and an allowed one below it are named, so DNS wildcard rules block them too.`,
        ]
      : []),
    ...(tooLong ? [`; ${tooLong} names too long for the zone left out.`] : []),
    `$ORIGIN ${zone}.`,
    `$TTL ${ttl}`,
    `@ SOA ${soa.mname}. ${soa.rname}. ${soa.serial} ${soa.refresh} ${soa.retry} ${soa.expire} ${soa.minimum}`,
    `@ NS ${RPZ_NS}.`,
  ];
  function* lines(): Generator<string> {
    yield* header;
    for (const r of eachRpzRecord(list)) yield `${r.name} CNAME ${r.target}`;
  }
  return { lines: lines(), tooLong };
}
