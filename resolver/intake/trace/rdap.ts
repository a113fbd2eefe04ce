/**
 * A network's abuse contact through RDAP (RFC 9082/9083): the IANA bootstrap file (RFC 9224,
 * `ipv4.json`/`ipv6.json`, a local copy the unit refreshes) names the registry's RDAP server for
 * an address; its answer's entity with the `abuse` role gives the contact. Answers are cached
 * for a day, in memory and in the intake's database. RDAP servers are registries; the reported site is never contacted.
 */
import { readFileSync } from 'node:fs';
import { BlockList, isIPv4 } from 'node:net';

export interface AbuseContact {
  email?: string;
  name?: string;
  /** The RDAP network's handle and name (e.g. the registry's network object). */
  network?: string;
  server: string;
}

interface Bootstrap {
  services: [string[], string[]][];
}

type Entity = {
  roles?: string[];
  vcardArray?: [string, [string, object, string, string][]];
  entities?: Entity[];
};

const CACHE_MS = 24 * 60 * 60_000;

/** Where answers are kept across restarts (the intake's database). */
export interface RdapCache {
  get(ip: string): { at: number; contact: AbuseContact } | undefined;
  put(ip: string, at: number, contact: AbuseContact): void;
}

export class RdapClient {
  private readonly ranges: { list: BlockList; server: string }[] = [];
  private readonly cache = new Map<string, { at: number; contact: AbuseContact | undefined }>();

  constructor(
    bootstrapFiles: readonly string[],
    private readonly stored?: RdapCache,
  ) {
    for (const file of bootstrapFiles) {
      let bootstrap: Bootstrap;
      try {
        bootstrap = JSON.parse(readFileSync(file, 'utf8')) as Bootstrap;
      } catch (error) {
        throw new Error(`--rdap-bootstrap ${file}: ${(error as Error).message}`);
      }
      if (!Array.isArray(bootstrap.services)) {
        throw new Error(
          `--rdap-bootstrap ${file}: no "services" array (an IANA RDAP bootstrap file)`,
        );
      }
      for (const [cidrs, urls] of bootstrap.services) {
        const server = urls.find((u) => u.startsWith('https://')) ?? urls[0];
        if (!server) continue;
        const list = new BlockList();
        for (const cidr of cidrs) {
          const [network = '', bits = ''] = cidr.split('/');
          list.addSubnet(network, Number(bits), isIPv4(network) ? 'ipv4' : 'ipv6');
        }
        this.ranges.push({ list, server: server.endsWith('/') ? server : `${server}/` });
      }
    }
  }

  get configured(): boolean {
    return this.ranges.length > 0;
  }

  serverFor(ip: string): string | undefined {
    const family = isIPv4(ip) ? 'ipv4' : 'ipv6';
    return this.ranges.find((r) => r.list.check(ip, family))?.server;
  }

  async abuseContact(ip: string): Promise<AbuseContact | undefined> {
    const cached = this.cache.get(ip) ?? this.stored?.get(ip);
    if (cached && Date.now() - cached.at < CACHE_MS) return cached.contact;
    const server = this.serverFor(ip);
    if (!server) return undefined;
    const response = await fetch(`${server}ip/${encodeURIComponent(ip)}`, {
      headers: { accept: 'application/rdap+json' },
      signal: AbortSignal.timeout(5_000),
      redirect: 'follow',
    });
    if (!response.ok) throw new Error(`RDAP ${server}: HTTP ${response.status}`);
    const body = (await response.json()) as Entity & { handle?: string; name?: string };
    const abuse = findAbuse(body.entities ?? []);
    const contact: AbuseContact = {
      server,
      ...(body.handle || body.name
        ? { network: [body.handle, body.name].filter(Boolean).join(' ') }
        : {}),
      ...(abuse ? vcard(abuse) : {}),
    };
    this.cache.set(ip, { at: Date.now(), contact });
    this.stored?.put(ip, Date.now(), contact);
    return contact;
  }
}

function findAbuse(entities: Entity[]): Entity | undefined {
  for (const entity of entities) {
    if (entity.roles?.includes('abuse')) return entity;
    const nested = findAbuse(entity.entities ?? []);
    if (nested) return nested;
  }
  return undefined;
}

function vcard(entity: Entity): { email?: string; name?: string } {
  const fields = entity.vcardArray?.[1] ?? [];
  const value = (key: string) => fields.find((f) => f[0] === key)?.[3];
  const email = value('email');
  const name = value('fn');
  return { ...(email ? { email } : {}), ...(name ? { name } : {}) };
}

export const IANA_BOOTSTRAP = 'https://data.iana.org/rdap/';
export const BOOTSTRAP_FILES = ['ipv4.json', 'ipv6.json'] as const;

/** Checks a downloaded bootstrap file before it replaces the local copy. */
export function checkBootstrap(text: string, name: string): void {
  let parsed: Partial<Bootstrap>;
  try {
    parsed = JSON.parse(text) as Partial<Bootstrap>;
  } catch {
    throw new Error(`${name}: not JSON`);
  }
  if (!Array.isArray(parsed.services) || parsed.services.length === 0) {
    throw new Error(`${name}: no "services" (not an RDAP bootstrap file)`);
  }
}
