/**
 * The RPZ primaries of the config's `rpz:` section (issue 6), so one process can both resolve
 * and feed an ISP's DNS fleet. Each entry maps onto `startRpzPrimary`'s options; the list file
 * is watched, and the resolver's reload (SIGHUP) reloads every zone too.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { loadBundleFile, readPublicKeys } from '../lists/files.js';
import { type RpzPrimary, startRpzPrimary } from '../rpz/server.js';
import { parseTsigKey, type TsigKey } from '../rpz/tsig.js';
import { buildRpzZone } from '../rpz/zone.js';
import type { Config } from './config.js';

type Section = Config['rpz'][number];

export interface NamedPrimary {
  zone: string;
  primary: RpzPrimary;
}

/** Starts every primary or none: on a failure the ones already up are closed again. */
export async function startRpzPrimaries(config: Config, log: Logger): Promise<NamedPrimary[]> {
  const started: NamedPrimary[] = [];
  try {
    for (const section of config.rpz) {
      const zoneLog = log.child({ component: 'rpz', zone: section.zone });
      const primary = await startRpzPrimary({
        listen: section.listen,
        zone: section.zone,
        listFile: section.list,
        trustedKeys: await readPublicKeys(section.trust ?? config.trust),
        tsigKeys: await Promise.all(section.tsig.map(tsigKey)),
        notify: section.notify,
        ...(section['allow-transfer'] && { allowTransfer: section['allow-transfer'] }),
        ...(section['allow-unsigned'] && { allowUnsigned: section['allow-unsigned'] }),
        ...(section.ttl !== undefined && { ttl: section.ttl }),
        ...(section.history !== undefined && { historyDepth: section.history }),
        dataDir: section['data-dir'] ?? join(config.dataDir as string, 'rpz'),
        watch: true,
        log: (line) => zoneLog.info(line),
      });
      started.push({ zone: section.zone, primary });
    }
  } catch (error) {
    await Promise.all(started.map((p) => p.primary.close()));
    throw new Error(`rpz ${config.rpz[started.length]?.zone}: ${(error as Error).message}`);
  }
  return started;
}

/** For `kalkan serve --check`: the list verifies and is servable, the TSIG keys read. */
export async function checkRpzSection(config: Config, section: Section): Promise<string> {
  await Promise.all(section.tsig.map(tsigKey));
  const bundle = await loadBundleFile(section.list, {
    trustedKeys: await readPublicKeys(section.trust ?? config.trust),
  });
  const zone = buildRpzZone(bundle, section.zone, section.ttl);
  return `zone ${zone.origin}: ok (list ${bundle.meta.id}, serial ${zone.serial}, ${zone.recordCount} records)`;
}

async function tsigKey(key: Section['tsig'][number]): Promise<TsigKey> {
  const secret =
    key.secret ??
    (await readFile(key['secret-file'] as string, 'utf8').catch((error: NodeJS.ErrnoException) => {
      throw new Error(`cannot read TSIG secret-file ${key['secret-file']}: ${error.code}`);
    }));
  return parseTsigKey(`${key.name}:${key.algorithm}:${secret.trim()}`);
}
