/**
 * Where reports go and where the outbox lives, from the resolver's YAML config (a `reports:`
 * section) or from flags. The config section:
 *
 *   reports:
 *     intake: https://reports.unit.example/   # the unit's intake
 *     unitKey: /etc/kalkan/unit.pub           # the unit's public key file
 *     dataDir: /var/lib/kalkan                # optional; the outbox is DATA/reports-outbox.sqlite
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { decodeUnitPublicKey } from '../../reporting/keys.js';

export const OUTBOX_FILE = 'reports-outbox.sqlite';

export const reportsConfigSchema = z.strictObject({
  intake: z.url({ protocol: /^https?$/ }),
  unitKey: z.string().min(1),
  dataDir: z.string().min(1).optional(),
});

export interface ReportSettings {
  intakeUrl: string;
  unitPublicKey: Uint8Array;
  outboxPath: string;
}

/** The data directory when neither the config nor `--data` names one. */
export function defaultDataDir(): string {
  return (
    process.env.KALKAN_DATA_DIR ??
    join(process.env.XDG_DATA_HOME ?? join(homedir(), '.local', 'share'), 'kalkan')
  );
}

export async function readUnitPublicKey(path: string): Promise<Uint8Array> {
  return decodeUnitPublicKey(await readFile(path, 'utf8'), path);
}

/** Settings from a config file; paths in it are relative to the file. */
export async function settingsFromConfig(file: string, dataDir?: string): Promise<ReportSettings> {
  const text = await readFile(file, 'utf8');
  const document = parseYaml(text) as { reports?: unknown; dataDir?: unknown } | null;
  const result = reportsConfigSchema.safeParse(document?.reports);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = ['reports', ...(issue?.path ?? [])].join('.');
    throw new Error(`${file}: ${where}: ${issue?.message ?? 'invalid'}`);
  }
  const base = dirname(resolve(file));
  // As `kalkan serve` does: reports.dataDir, else the resolver's dataDir, so both share one outbox.
  const configured = result.data.dataDir ?? document?.dataDir;
  const dir =
    dataDir ?? (typeof configured === 'string' ? resolve(base, configured) : defaultDataDir());
  return {
    intakeUrl: result.data.intake,
    unitPublicKey: await readUnitPublicKey(resolve(base, result.data.unitKey)),
    outboxPath: join(dir, OUTBOX_FILE),
  };
}
