/**
 * The reported host's addresses through the configured resolver: the CNAME chain, then A and
 * AAAA of its end. A DNS question only: nothing is ever fetched from the host.
 */
import { Resolver } from 'node:dns/promises';

export interface DnsAnswer {
  cnames: string[];
  addresses: string[];
  /** NXDOMAIN or no address: the host does not resolve (now). */
  resolves: boolean;
}

const MAX_CNAMES = 8;

export class HostResolver {
  private readonly resolver = new Resolver({ timeout: 3_000, tries: 2 });

  /** `servers`: `HOST` or `HOST:PORT` (IPv6 in brackets); none: the system's resolver. */
  constructor(servers: readonly string[]) {
    if (servers.length > 0) this.resolver.setServers([...servers]);
  }

  async resolve(host: string): Promise<DnsAnswer> {
    const cnames: string[] = [];
    let name = host;
    for (let i = 0; i < MAX_CNAMES; i++) {
      const next = await this.resolver.resolveCname(name).catch(() => [] as string[]);
      const [target] = next;
      if (target === undefined || cnames.includes(target)) break;
      cnames.push(target);
      name = target;
    }
    const [v4, v6] = await Promise.all([
      this.resolver.resolve4(name).catch(() => [] as string[]),
      this.resolver.resolve6(name).catch(() => [] as string[]),
    ]);
    const addresses = [...v4, ...v6];
    return { cnames, addresses, resolves: addresses.length > 0 };
  }
}
