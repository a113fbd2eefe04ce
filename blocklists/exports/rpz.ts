/**
 * RPZ (draft-vixie-dnsop-dns-rpz): `name CNAME .` answers NXDOMAIN for the name, `*.name`
 * covers its subdomains, `CNAME rpz-passthru.` exempts. The records are shared with the RPZ
 * primary, which serves the same zone over AXFR/IXFR.
 */
import { banner, droppedUrlsNote, type ReadableList } from './readable.js';

export interface RpzRecord {
  /** Owner name relative to the zone origin. */
  name: string;
  target: '.' | 'rpz-passthru.';
}

export interface RpzZoneOptions {
  zone: string;
  ttl?: number;
}

export function rpzRecords(list: ReadableList): RpzRecord[] {
  const records: RpzRecord[] = [];
  for (const d of list.blockDomains)
    records.push({ name: d, target: '.' }, { name: `*.${d}`, target: '.' });
  for (const d of list.allowDomains) {
    records.push({ name: d, target: 'rpz-passthru.' }, { name: `*.${d}`, target: 'rpz-passthru.' });
  }
  return records;
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

export function rpzZoneFile(list: ReadableList, options: RpzZoneOptions): string {
  const zone = options.zone.replace(/\.$/, '');
  const ttl = options.ttl ?? 300;
  const soa = rpzSoa(zone, list.sequence);
  const lines = [
    ...banner(list, ';'),
    ...droppedUrlsNote(list, ';'),
    `$ORIGIN ${zone}.`,
    `$TTL ${ttl}`,
    `@ SOA ${soa.mname}. ${soa.rname}. ${soa.serial} ${soa.refresh} ${soa.retry} ${soa.expire} ${soa.minimum}`,
    `@ NS ${soa.mname}.`,
    ...rpzRecords(list).map((r) => `${r.name} CNAME ${r.target}`),
  ];
  return `${lines.join('\n')}\n`;
}
