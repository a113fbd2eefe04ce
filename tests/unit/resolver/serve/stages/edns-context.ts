/** A query context with EDNS, for stages whose answers carry an OPT record (EDE). */
import dnsPacket from 'dns-packet';
import { parseQuery } from '../../../../../resolver/dns/query.js';
import type { QueryContext } from '../../../../../resolver/serve/context.js';

export function ednsCtx(name: string, type: dnsPacket.RecordType = 'A'): QueryContext {
  const query = dnsPacket.encode({
    type: 'query',
    id: 9,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ name, type, class: 'IN' }],
    additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232 } as dnsPacket.Answer],
  });
  const parsed = parseQuery(query);
  if (!parsed.ok) throw new Error('bad query');
  return { query, q: parsed.question, client: '127.0.0.1', transport: 'udp' };
}
