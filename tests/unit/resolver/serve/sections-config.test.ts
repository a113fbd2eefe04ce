/** The resolver config's `reports:` and `rpz:` sections: parsed, paths resolved, errors with file:line. */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateUnitKeyPair } from '../../../../reporting/keygen.js';
import { encodeUnitPublicKey } from '../../../../reporting/keys.js';
import { settingsFromConfig } from '../../../../resolver/reports/settings.js';
import { ConfigError, parseConfig, resolvePaths } from '../../../../resolver/serve/config.js';

function errorOf(text: string): string {
  try {
    parseConfig(text, 'kalkan.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('no error');
}

const SECRET = Buffer.alloc(32, 7).toString('base64');

describe('config sections reports and rpz', () => {
  it('has neither by default', () => {
    const c = parseConfig('listen: ["127.0.0.1:5353"]\n', 'x.yaml');
    expect(c.reports).toBeUndefined();
    expect(c.rpz).toEqual([]);
  });

  it('parses both and resolves their paths against the config directory', () => {
    const text = `reports:
  intake: http://127.0.0.1:9/
  unitKey: unit.pub
rpz:
  - zone: rpz.kalkan.test
    listen: 127.0.0.1:5300
    list: lists/isp.klb
    tsig:
      - name: xfr
        secret-file: xfr.secret
    allow-transfer: [127.0.0.0/8]
`;
    const c = resolvePaths(parseConfig(text, 'x.yaml'), '/etc/kalkan');
    expect(c.reports).toEqual({ intake: 'http://127.0.0.1:9/', unitKey: '/etc/kalkan/unit.pub' });
    expect(c.rpz[0]).toMatchObject({
      list: '/etc/kalkan/lists/isp.klb',
      tsig: [{ name: 'xfr', algorithm: 'hmac-sha256', 'secret-file': '/etc/kalkan/xfr.secret' }],
      notify: [],
    });
  });

  it('names the key and line of a bad reports value', () => {
    const text =
      'listen: ["127.0.0.1:53"]\nreports:\n  intake: ftp://x.example/\n  unitKey: u.pub\n';
    expect(errorOf(text)).toMatch(/^kalkan\.yaml:3: reports\.intake: /);
    expect(errorOf('reports:\n  intake: http://x.example/\n  unit: u.pub\n')).toContain(
      'kalkan.yaml:3: reports.unit: unknown key',
    );
  });

  it('names the key and line of a bad rpz value, TSIG secret and missing key', () => {
    const text = `rpz:
  - zone: rpz.kalkan.test
    listen: 127.0.0.1:5300
    list: isp.klb
    allow-transfer: [not-a-net]
    tsig:
      - name: xfr
        secret: ${SECRET}
        algorithm: hmac-md5
  - zone: other.test
    list: b.klb
`;
    const message = errorOf(text);
    expect(message).toContain(
      'kalkan.yaml:5: rpz.0.allow-transfer.0: expected an address or ADDRESS/BITS',
    );
    expect(message).toMatch(/kalkan\.yaml:7: rpz\.0\.tsig\.0: TSIG algorithm "hmac-md5"/);
    expect(message).toMatch(/kalkan\.yaml:10: rpz\.1\.listen: /);
  });

  it('kalkan reports submit --config uses the outbox kalkan serve uses: the top-level dataDir', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kalkan-sections-'));
    await writeFile(
      join(dir, 'unit.pub'),
      encodeUnitPublicKey((await generateUnitKeyPair()).publicKey),
    );
    const file = join(dir, 'kalkan.yaml');
    const text = 'dataDir: state\nreports:\n  intake: http://127.0.0.1:9/\n  unitKey: unit.pub\n';
    await writeFile(file, text);
    const served = resolvePaths(parseConfig(text, file), dir);
    expect((await settingsFromConfig(file)).outboxPath).toBe(
      join(served.dataDir as string, 'reports-outbox.sqlite'),
    );
  });
});
