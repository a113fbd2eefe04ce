/**
 * The answer to the "am I protected?" name (setup.checkName): only Kalkan answers it, so a
 * device that resolves it is asking Kalkan. A TXT saying so, and A/AAAA records pointing at the
 * status page, so a page can show a badge that loads only through Kalkan (setup/page.ts).
 */
import { isIP } from 'node:net';
import { RCODE, TYPE } from '../../dns/codes.js';
import { addressRecord, questionRecord, reply } from '../../dns/reply.js';
import { ipv4Bytes, ipv6Bytes } from '../../net/address-bytes.js';
import type { QueryContext } from '../context.js';

export const CHECK_TXT = 'kalkan: this device resolves through Kalkan';
/** Short, so a device that stops using Kalkan stops passing the check soon. */
const CHECK_TTL = 30;

export class CheckAnswer {
  private readonly a: Buffer[];
  private readonly aaaa: Buffer[];
  private readonly txt: Buffer;

  constructor(
    readonly name: string,
    addresses: readonly string[],
  ) {
    this.a = addresses
      .filter((x) => isIP(x) === 4)
      .map((x) => addressRecord(TYPE.A, CHECK_TTL, ipv4Bytes(x)));
    this.aaaa = addresses
      .filter((x) => isIP(x) === 6)
      .map((x) => addressRecord(TYPE.AAAA, CHECK_TTL, ipv6Bytes(x)));
    const text = Buffer.from(CHECK_TXT);
    this.txt = questionRecord(TYPE.TXT, CHECK_TTL, Buffer.concat([Buffer.of(text.length), text]));
  }

  /** NOERROR with the records of the asked type (none: NODATA). */
  answer(ctx: QueryContext): Buffer {
    const { qtype } = ctx.q;
    const records =
      qtype === TYPE.A
        ? this.a
        : qtype === TYPE.AAAA
          ? this.aaaa
          : qtype === TYPE.TXT
            ? [this.txt]
            : [];
    return reply(ctx.query, ctx.q, RCODE.NOERROR, records);
  }
}

/**
 * Where the check name points: `setup.checkAddresses`, else the status page's address when it
 * listens on one (a wildcard address is no address a device can reach).
 */
export function checkAddresses(
  configured: readonly string[] | undefined,
  status: { host: string } | null,
): string[] {
  if (configured) return [...configured];
  if (!status || status.host === '0.0.0.0' || status.host === '::' || isIP(status.host) === 0)
    return [];
  return [status.host];
}
