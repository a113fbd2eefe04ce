/** A query's bytes as a stub resolver sends them, built with dns-packet (the oracle). */
import dnsPacket from 'dns-packet';

export interface QueryOptions {
  id?: number;
  type?: dnsPacket.RecordType;
  rd?: boolean;
  edns?: boolean;
  dnssecOk?: boolean;
  udpSize?: number;
}

export function query(name: string, o: QueryOptions = {}): Buffer {
  return dnsPacket.encode({
    type: 'query',
    id: o.id ?? 4242,
    flags: o.rd === false ? 0 : dnsPacket.RECURSION_DESIRED,
    questions: [{ name, type: o.type ?? 'A', class: 'IN' }],
    additionals: o.edns
      ? [
          {
            type: 'OPT',
            name: '.',
            udpPayloadSize: o.udpSize ?? 4096,
            flags: o.dnssecOk ? dnsPacket.DNSSEC_OK : 0,
          } as dnsPacket.Answer,
        ]
      : [],
  });
}

/** The same for AAAA. */
export function aaaaQuery(name: string, o: QueryOptions = {}): Buffer {
  return query(name, { type: 'AAAA', ...o });
}
