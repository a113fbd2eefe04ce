/**
 * One version of the RPZ zone, built from a verified bundle: the records `rpzRecords` makes of
 * the domains `rpzPolicy` names for its plaintext, under an SOA whose serial is the bundle
 * sequence. Hashed-only bundles are refused: an RPZ zone has to name what it blocks.
 */
import type { LoadedBundle } from '../../blocklists/bundle/load.js';
import { ExportError, type ReadableList, readableList } from '../../blocklists/exports/readable.js';
import {
  fitRpzZone,
  type RpzRecord,
  rpzPolicy,
  rpzRecords,
  rpzSoa,
} from '../../blocklists/exports/rpz.js';
import { nameToWire } from '../dns/name.js';

export class RpzError extends Error {
  override name = 'RpzError';
}

export interface RpzZone {
  /** Lower-case, no trailing dot. */
  origin: string;
  serial: number;
  ttl: number;
  soa: ReturnType<typeof rpzSoa>;
  list: ReadableList;
  /** Built on first use (the first AXFR): a reload answered by IXFR never needs them all. */
  readonly records: RpzRecord[];
  /** How many records the zone holds besides SOA and NS. */
  recordCount: number;
  /** Entries left out because `*.name.origin` would be longer than a DNS name may be. */
  tooLong: number;
}

export const DEFAULT_TTL = 300;

export function buildRpzZone(bundle: LoadedBundle, origin: string, ttl = DEFAULT_TTL): RpzZone {
  let list: ReadableList;
  try {
    list = readableList(bundle);
  } catch (error) {
    if (!(error instanceof ExportError)) throw error;
    throw new RpzError(
      `list "${bundle.meta.id}" is hashed-only, so it cannot be served as an RPZ zone: RPZ names ` +
        'every blocked domain in plain text. ISPs receive plaintext lists only under licence, ' +
        'built by the publisher with "kalkan lists build --plaintext".',
    );
  }
  const zone = origin.replace(/\.$/, '').toLowerCase();
  try {
    nameToWire(zone);
  } catch (error) {
    throw new RpzError(
      `zone name "${origin}" is not a valid DNS name: ${(error as Error).message}`,
    );
  }
  const { list: kept, tooLong } = fitRpzZone(rpzPolicy(list).list, zone);
  // Serials are 32-bit; sequence arithmetic (RFC 1982) handles the wrap.
  const serial = bundle.meta.sequence % 2 ** 32;
  let records: RpzRecord[] | undefined;
  return {
    origin: zone,
    serial,
    ttl,
    soa: rpzSoa(zone, serial),
    list: kept,
    get records() {
      records ??= rpzRecords(kept);
      return records;
    },
    recordCount: 2 * (kept.blockDomains.length + kept.allowDomains.length) + kept.blockExact.length,
    tooLong,
  };
}
