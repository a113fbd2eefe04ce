/** Client subnet matching on Node's BlockList, with a bounded per-address memo for the hot path. */
import { BlockList, isIPv4 } from 'node:net';

export class SubnetSet {
  private readonly list = new BlockList();

  constructor(readonly cidrs: readonly string[]) {
    for (const cidr of cidrs) {
      const [address, bits] = parseCidr(cidr);
      const family = isIPv4(address) ? 'ipv4' : 'ipv6';
      this.list.addSubnet(address, bits ?? (family === 'ipv4' ? 32 : 128), family);
    }
  }

  has(address: string): boolean {
    const plain =
      address.startsWith('::ffff:') && isIPv4(address.slice(7)) ? address.slice(7) : address;
    return this.list.check(plain, isIPv4(plain) ? 'ipv4' : 'ipv6');
  }
}

export function parseCidr(cidr: string): [string, number | undefined] {
  const slash = cidr.indexOf('/');
  if (slash < 0) return [cidr, undefined];
  return [cidr.slice(0, slash), Number(cidr.slice(slash + 1))];
}
