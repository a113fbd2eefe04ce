/**
 * The query log's line (config `queryLog: true`, off by default: it holds a client's browsing):
 * who asked what, with the type and rcode by name and, when blocked, the category.
 */
import { RCODE_NAME, TYPE_NAME } from '../dns/codes.js';
import type { QueryContext } from './context.js';

function typeName(qtype: number): string {
  return TYPE_NAME.get(qtype) ?? `TYPE${qtype}`;
}

function rcodeName(rcode: number): string {
  return RCODE_NAME.get(rcode) ?? `RCODE${rcode}`;
}

export function queryLogFields(ctx: QueryContext, answer: Uint8Array) {
  return {
    client: ctx.client,
    name: ctx.q.name,
    type: typeName(ctx.q.qtype),
    rcode: rcodeName((answer[3] as number) & 0x0f),
    ...(ctx.blockedCategory !== undefined && { category: ctx.blockedCategory }),
  };
}
