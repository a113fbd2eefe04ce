/**
 * EDNS0 on the way out: an answer larger than the client takes over UDP becomes TC=1 (retry
 * over TCP); over TLS and HTTPS every answer with EDNS is padded to a 468-octet block (RFC 8467
 * §4.1, padded whether or not the query asked: a passive observer of encrypted DNS learns the
 * name from the size, and padding only what asks would leave most clients exposed). Answers
 * on stream transports are never truncated.
 */
import { udpLimit } from '../dns/opt.js';
import { padToBlock } from '../dns/padding.js';
import { truncated } from '../dns/reply.js';
import type { QueryContext } from './context.js';

export function fitTransport(ctx: QueryContext, answer: Uint8Array): Uint8Array {
  if (ctx.transport === 'udp') {
    return answer.length > udpLimit(ctx.q) ? truncated(ctx.query, ctx.q) : answer;
  }
  if (ctx.q.edns && (ctx.transport === 'tls' || ctx.transport === 'https'))
    return padToBlock(answer);
  return answer;
}
