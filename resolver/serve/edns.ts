/** EDNS0 on the way out: an answer larger than the client takes over UDP becomes TC=1 (retry over TCP). */
import type { QueryContext } from './context.js';
import { truncated, udpLimit } from './wire.js';

export function fitTransport(ctx: QueryContext, answer: Uint8Array): Uint8Array {
  if (ctx.transport === 'udp' && answer.length > udpLimit(ctx.q))
    return truncated(ctx.query, ctx.q);
  return answer;
}
