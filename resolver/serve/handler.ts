/**
 * From bytes in to bytes out, for any transport: read the question (malformed queries get
 * FORMERR/NOTIMP or nothing), run the stage chain, fit the answer to the transport. Returns
 * undefined when there is nothing to send.
 */
import { type Next, type QueryContext, thenReply } from './context.js';
import { fitTransport } from './edns.js';
import { queryLogFields } from './query-log.js';
import type { Stats } from './stats.js';
import { headerOnlyReply, parseQuery, Rcode, reply } from './wire.js';

export type Handler = (
  msg: Uint8Array,
  client: string,
  transport: 'udp' | 'tcp',
) => Uint8Array | Promise<Uint8Array> | undefined;

export interface QueryLog {
  info(obj: object, msg: string): void;
}

export function makeHandler(chain: Next, stats: Stats, queryLog?: QueryLog): Handler {
  return (msg, client, transport) => {
    const parsed = parseQuery(msg);
    if (!parsed.ok)
      return parsed.id === undefined ? undefined : headerOnlyReply(parsed.id, parsed.rcode);
    stats.query();
    const ctx: QueryContext = { query: msg, q: parsed.question, client, transport };
    let answer: ReturnType<Next>;
    try {
      answer = chain(ctx);
    } catch {
      answer = reply(msg, ctx.q, Rcode.ServFail);
    }
    if (queryLog) {
      answer = thenReply(answer, (bytes) => {
        queryLog.info(queryLogFields(ctx, bytes), 'query');
        return bytes;
      });
    }
    return thenReply(answer, (bytes) => fitTransport(ctx, bytes));
  };
}
