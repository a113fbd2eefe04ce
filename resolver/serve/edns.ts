/** EDNS0 on the way out: an answer larger than the client takes over UDP becomes TC=1 (retry over TCP). */
import { udpLimit } from '../dns/opt.js';
import { truncated } from '../dns/reply.js';
import type { QueryContext } from './context.js';

export function fitTransport(ctx: QueryContext, answer: Uint8Array): Uint8Array {
  if (ctx.transport === 'udp' && answer.length > udpLimit(ctx.q))
    return truncated(ctx.query, ctx.q);
  return answer;
}
