/**
 * A set of networks (CIDRs or single addresses) on Node's BlockList: the resolver's client ACL
 * and per-subnet policies, and the RPZ primary's transfer ACLs.
 */
import { BlockList, isIP } from 'node:net';

/** Only this machine. */
export const LOOPBACK = ['127.0.0.0/8', '::1/128'];

export class AddressSet {
  private readonly list = new BlockList();
  readonly cidrs: readonly string[];

  constructor(cidrs: readonly string[]) {
    this.cidrs = [...cidrs];
    for (const cidr of cidrs) {
      const [address, prefixLength] = parseCidr(cidr);
      const family = isIP(address);
      if (!family) throw new Error(`"${cidr}" is not an address or CIDR`);
      const max = family === 4 ? 32 : 128;
      const prefix = prefixLength ?? max;
      if (!Number.isInteger(prefix) || prefix < 0 || prefix > max) {
        throw new Error(`"${cidr}" has a bad prefix length`);
      }
      this.list.addSubnet(address, prefix, family === 4 ? 'ipv4' : 'ipv6');
    }
  }

  has(address: string): boolean {
    // Dual-stack sockets report IPv4 peers as ::ffff:a.b.c.d.
    const plain =
      address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
    const family = isIP(plain);
    return family !== 0 && this.list.check(plain, family === 4 ? 'ipv4' : 'ipv6');
  }
}

export function parseCidr(cidr: string): [string, number | undefined] {
  const slash = cidr.indexOf('/');
  if (slash < 0) return [cidr, undefined];
  return [cidr.slice(0, slash), Number(cidr.slice(slash + 1))];
}
