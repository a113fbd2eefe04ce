/**
 * Kalkan under benchmark: the same generated list as a signed bundle, the server started from
 * the build, and the reload test (swap the list while dnsperf runs, count what was lost).
 */
import { copyFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildBundle } from '../../../blocklists/bundle/build.js';
import { domainExpression } from '../../../blocklists/canonical/url.js';
import { encodePublicKey, generateKeyPair } from '../../../blocklists/keys.js';
import { nativeSha256 } from '../../../resolver/lists/native-sha256.js';
import { KALKAN } from '../../helpers/kalkan-process.js';
import { freePort } from '../../helpers/ports.js';
import { load } from './dnsperf.js';
import { type Launch, startServer } from './server-process.js';

const RELOADS = 5;

export interface KalkanSetup {
  dir: string;
  listFile: string;
  trustFile: string;
  firstBlocked: string;
  /** Lost plus SERVFAIL answers while the list is swapped under a steady load of `qps`. */
  reloadUnderLoad(
    upstreamPort: number,
    queryFile: string,
    seconds: number,
    qps: number,
  ): Promise<number>;
}

export async function prepareKalkan(dir: string, blocked: string[]): Promise<KalkanSetup> {
  const { secretKey, publicKey } = await generateKeyPair();
  const expressions = { block: blocked.map(domainExpression), allow: [] };
  const now = Date.now();
  const bundle = (sequence: number) =>
    buildBundle(expressions, {
      meta: {
        id: 'bench',
        name: 'bench',
        category: 'abuse',
        sequence,
        created: new Date(now).toISOString(),
        expires: new Date(now + 86_400_000).toISOString(),
        licence: '',
      },
      secretKey,
      sha256: nativeSha256,
    });
  const trustFile = join(dir, 'bench.pub');
  await writeFile(trustFile, encodePublicKey(publicKey));
  const listFile = join(dir, 'bench.klb');
  await writeFile(listFile, await bundle(1));
  const setup: KalkanSetup = {
    dir,
    listFile,
    trustFile,
    firstBlocked: blocked[0] as string,
    async reloadUnderLoad(upstreamPort, queryFile, seconds, qps) {
      // Bundles with sequences 2, 3, …: built only for this test.
      const nextBundles: string[] = [];
      for (let s = 2; s <= RELOADS + 1; s++) {
        const file = join(dir, `bench-${s}.klb`);
        await writeFile(file, await bundle(s));
        nextBundles.push(file);
      }
      const port = await freePort();
      const server = await startServer(
        'kalkan-reload',
        await kalkanServer(setup, port, upstreamPort, 1),
        port,
        {
          name: setup.firstBlocked,
          rcode: 3,
        },
      );
      try {
        // A steady load below capacity, so a lost query means the reload lost it, not overload.
        const running = load({ port, queryFile, seconds, maxQps: qps });
        for (const next of nextBundles) {
          await new Promise((r) => setTimeout(r, (seconds * 1000) / (RELOADS + 1)));
          await copyFile(next, listFile);
          server.child.kill('SIGHUP');
        }
        const result = await running;
        const failed = result.rcodes.SERVFAIL ?? 0;
        console.log(
          `  reload under load: ${RELOADS} swaps, ${result.lost} lost, ${failed} SERVFAIL of ${result.sent}`,
        );
        return result.lost + failed;
      } finally {
        await server.stop();
      }
    },
  };
  return setup;
}

export async function kalkanServer(
  setup: KalkanSetup,
  port: number,
  upstreamPort: number,
  workers: number,
): Promise<Launch> {
  const config = join(setup.dir, `kalkan-${port}.yaml`);
  await writeFile(config, benchConfig(workers, join(setup.dir, `data-${port}`)));
  return {
    command: process.execPath,
    args: [
      KALKAN,
      'serve',
      '--config',
      config,
      '--listen',
      `127.0.0.1:${port}`,
      '--upstream',
      `127.0.0.1:${upstreamPort}`,
      '--list',
      setup.listFile,
      '--trust',
      setup.trustFile,
      '--status',
      `127.0.0.1:${await freePort()}`,
    ],
  };
}

/** `-- --udp-io=dgram` measures Kalkan on node:dgram (before/after the batched transport). */
const UDP_IO =
  process.argv.find((a) => a.startsWith('--udp-io='))?.slice('--udp-io='.length) ?? 'auto';

/** dnsperf sends everything from one address: the per-client rate limit is off for the run. */
function benchConfig(workers: number, dataDir: string): string {
  return [
    '# benchmark config: rate limit off, logs quiet',
    `workers: ${workers}`,
    `udpIo: ${UDP_IO}`,
    'rateLimit:',
    '  perSecond: 0',
    'logLevel: warn',
    `dataDir: ${JSON.stringify(dataDir)}`,
    '',
  ].join('\n');
}
