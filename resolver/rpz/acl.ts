/** Address lists for `--allow-transfer` and `--allow-unsigned`: CIDRs or single addresses. */
import { BlockList, isIP } from 'node:net';

export class AddressList {
  private readonly list = new BlockList();
  readonly entries: string[];

  constructor(cidrs: readonly string[]) {
    this.entries = [...cidrs];
    for (const cidr of cidrs) {
      const [address = '', prefixText] = cidr.split('/');
      const family = isIP(address);
      if (!family) throw new Error(`"${cidr}" is not an address or CIDR`);
      const max = family === 4 ? 32 : 128;
      const prefix = prefixText === undefined ? max : Number(prefixText);
      if (!Number.isInteger(prefix) || prefix < 0 || prefix > max)
        throw new Error(`"${cidr}" has a bad prefix length`);
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

/** Only this machine, unless the operator names the secondaries' networks. */
export const LOOPBACK = ['127.0.0.0/8', '::1/128'];
