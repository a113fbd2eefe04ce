/**
 * Offline IP-to-country and IP-to-network data from MMDB files (the open-licence databases of
 * e.g. the @ip-location-db packages, or any MaxMind-format file), read with mmdb-lib. Several
 * files are merged: the first that knows a field wins. Nothing is looked up online.
 */
import { readFileSync } from 'node:fs';
import { Reader, type Response } from 'mmdb-lib';

export interface IpFacts {
  country?: string;
  asn?: number;
  network?: string;
}

interface Record {
  country_code?: string;
  country?: { iso_code?: string };
  autonomous_system_number?: number;
  autonomous_system_organization?: string;
}

export class IpDatabases {
  private readonly readers: { file: string; reader: Reader<Response> }[];

  constructor(files: readonly string[]) {
    this.readers = files.map((file) => {
      try {
        return { file, reader: new Reader<Response>(readFileSync(file)) };
      } catch (error) {
        throw new Error(`--ip-db ${file}: not a readable MMDB file (${(error as Error).message})`);
      }
    });
  }

  get size(): number {
    return this.readers.length;
  }

  lookup(ip: string): IpFacts {
    const facts: IpFacts = {};
    for (const { reader } of this.readers) {
      const found = reader.get(ip) as Record | null;
      if (!found) continue;
      const country = found.country_code ?? found.country?.iso_code;
      if (facts.country === undefined && country) facts.country = country.toUpperCase();
      if (facts.asn === undefined && found.autonomous_system_number !== undefined) {
        facts.asn = found.autonomous_system_number;
      }
      if (facts.network === undefined && found.autonomous_system_organization) {
        facts.network = found.autonomous_system_organization;
      }
    }
    return facts;
  }
}
