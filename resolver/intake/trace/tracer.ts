/**
 * Tracing a reported host without fetching it: DNS through the configured resolver, then for
 * each address the hosting country and network from the offline IP data and the abuse contact
 * from RDAP. The hosting country of the first address that has one stands for the URL.
 */

import type { HostResolver } from './dns.js';
import type { IpDatabases, IpFacts } from './ip-data.js';
import type { AbuseContact, RdapClient } from './rdap.js';

export interface TracedAddress extends IpFacts {
  ip: string;
  abuse?: AbuseContact;
  rdapError?: string;
}

export interface Trace {
  host: string;
  at: string;
  cnames: string[];
  resolves: boolean;
  addresses: TracedAddress[];
  country?: string;
}

export class Tracer {
  constructor(
    private readonly dns: HostResolver,
    private readonly ipData: IpDatabases,
    private readonly rdap: RdapClient,
  ) {}

  async trace(host: string): Promise<Trace> {
    const answer = await this.dns.resolve(host);
    const addresses: TracedAddress[] = [];
    for (const ip of answer.addresses.slice(0, 8)) {
      const facts = this.ipData.lookup(ip);
      const traced: TracedAddress = { ip, ...facts };
      try {
        const abuse = await this.rdap.abuseContact(ip);
        if (abuse) traced.abuse = abuse;
      } catch (error) {
        traced.rdapError = (error as Error).message;
      }
      addresses.push(traced);
    }
    const country = addresses.find((a) => a.country)?.country;
    return {
      host,
      at: new Date().toISOString(),
      cnames: answer.cnames,
      resolves: answer.resolves,
      addresses,
      ...(country ? { country } : {}),
    };
  }
}
