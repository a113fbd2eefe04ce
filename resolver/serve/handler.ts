/**
 * From bytes in to bytes out, for any transport: read the question (malformed queries get
 * FORMERR/NOTIMP/REFUSED or nothing, an EDNS version we do not speak BADVERS), run the stage
 * chain, fit the answer to the transport. Returns undefined when there is nothing to send.
 */
import { parseQuery } from '../dns/query.js';
import { badVersion, errorReply } from '../dns/reply.js';
import { type Next, type QueryContext, type Transport, thenReply } from './context.js';
import { fitTransport } from './edns.js';
import { queryLogFields } from './query-log.js';
import type { Stats } from './stats.js';

export type Handler = (
  msg: Uint8Array,
  client: string,
  transport: Transport,
  device?: string,
) => Uint8Array | Promise<Uint8Array> | undefined;

export interface QueryLog {
  info(obj: object, msg: string): void;
}

export function makeHandler(chain: Next, stats: Stats, queryLog?: QueryLog): Handler {
  return (msg, client, transport, device) => {
    const parsed = parseQuery(msg);
    if (!parsed.ok) return parsed.id === undefined ? undefined : errorReply(msg, parsed.rcode);
    stats.query();
    const ctx: QueryContext = { query: msg, q: parsed.question, client, transport };
    if (device !== undefined) ctx.device = device;
    if (ctx.q.ednsVersion !== 0) return badVersion(msg, ctx.q);
    let answer = chain(ctx);
    if (queryLog) {
      answer = thenReply(answer, (bytes) => {
        queryLog.info(queryLogFields(ctx, bytes), 'query');
        return bytes;
      });
    }
    return thenReply(answer, (bytes) => {
      if (ctx.device !== undefined) stats.deviceAnswered(ctx.device, ctx.blockedCategory);
      return fitTransport(ctx, bytes);
    });
  };
}
