/** A query context for one stage's unit test, and the REFUSED/NXDOMAIN/SERVFAIL reader. */
import dnsPacket from 'dns-packet';
import { parseQuery } from '../../../../../resolver/dns/query.js';
import type { QueryContext } from '../../../../../resolver/serve/context.js';

export function ctx(
  client: string,
  name = 'a.test',
  type: dnsPacket.RecordType = 'A',
  klass: dnsPacket.RecordClass = 'IN',
): QueryContext {
  const query = dnsPacket.encode({
    type: 'query',
    id: 7,
    questions: [{ name, type, class: klass }],
  });
  const parsed = parseQuery(query);
  if (!parsed.ok) throw new Error('bad query');
  return { query, q: parsed.question, client, transport: 'udp' };
}

export const rcode = (bytes: unknown) => ((bytes as Uint8Array)[3] as number) & 0x0f;
/** What the stage after the one under test answers. */
export const OK = new Uint8Array(12);

/** Fails a test if a stage answers instead of handing on; for chains that must not end. */
export const onError = (stage: string, _ctx: QueryContext, error: unknown): Uint8Array => {
  throw new Error(`${stage}: ${(error as Error).message}`);
};
