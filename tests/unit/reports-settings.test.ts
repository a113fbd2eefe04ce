import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateUnitKeyPair } from '../../reporting/keygen.js';
import { encodeUnitPublicKey } from '../../reporting/keys.js';
import { settingsFromConfig } from '../../resolver/reports/settings.js';

describe('reports settings from the resolver config', () => {
  it('reads the reports section, with paths relative to the config file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kalkan-settings-'));
    const { publicKey } = await generateUnitKeyPair();
    await writeFile(join(dir, 'unit.pub'), encodeUnitPublicKey(publicKey));
    const config = join(dir, 'kalkan.yaml');
    await writeFile(
      config,
      'listen: [127.0.0.1]\nreports:\n  intake: https://reports.unit.example/\n  unitKey: unit.pub\n  dataDir: state\n',
    );
    const settings = await settingsFromConfig(config);
    expect(settings).toEqual({
      intakeUrl: 'https://reports.unit.example/',
      unitPublicKey: publicKey,
      outboxPath: join(dir, 'state', 'reports-outbox.sqlite'),
    });
    expect((await settingsFromConfig(config, '/other')).outboxPath).toBe(
      '/other/reports-outbox.sqlite',
    );
  });

  it('names the bad key', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kalkan-settings-'));
    const config = join(dir, 'kalkan.yaml');
    await writeFile(config, 'reports:\n  intake: ftp://x.example/\n  unitKey: unit.pub\n');
    await expect(settingsFromConfig(config)).rejects.toThrow(`${config}: reports.intake:`);
    await writeFile(config, 'reports:\n  intake: https://x.example/\n');
    await expect(settingsFromConfig(config)).rejects.toThrow('reports.unitKey:');
    await writeFile(config, 'listen: [127.0.0.1]\n');
    await expect(settingsFromConfig(config)).rejects.toThrow('reports:');
  });
});
