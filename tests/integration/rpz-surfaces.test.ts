/**
 * The RPZ primary's options no other test exercises, through both ways an operator sets them:
 * the `rpz:` keys of `kalkan serve` (notify, allow-unsigned, ttl, history, data-dir, an inline
 * TSIG secret with its algorithm) and the matching `kalkan rpz serve` flags (--tsig, --notify,
 * --allow-transfer, --allow-unsigned, --ttl, --history, --data-dir). Both run the built CLI.
 */
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodePublicKey } from '../../blocklists/keys.js';
import { testKey } from '../helpers/bundles.js';
import { type LongRunning, startKalkan as startCli } from '../helpers/kalkan-process.js';
import { freePort } from '../helpers/ports.js';
import {
  dig as digText,
  type Kalkan,
  metric,
  startKalkan,
  startUnbound,
  tempDir,
  type Unbound,
  waitFor,
} from '../helpers/resolver.js';
import { writeList } from '../helpers/rpz-lists.js';

const ZONE = 'rpz.kalkan.test';
const SECRET = randomBytes(48).toString('base64');
const TSIG = `hmac-sha512:xfr:${SECRET}`;
const TTL = 77;

let tmp: Awaited<ReturnType<typeof tempDir>>;
let pub: string;

beforeAll(async () => {
  tmp = await tempDir('kalkan-rpz-surfaces-');
  pub = join(tmp.dir, 'publisher.pub');
  await writeFile(pub, encodePublicKey((await testKey()).publicKey));
});

afterAll(() => tmp?.remove());

/** Records NOTIFYs (opcode 4) for the zone and answers them, as a secondary does. */
async function notifyListener() {
  const socket: Socket = createSocket('udp4');
  let received = 0;
  socket.on('message', (msg, rinfo) => {
    if (((msg.readUInt16BE(2) >> 11) & 0xf) !== 4) return;
    received++;
    const reply = Buffer.from(msg.subarray(0, 12));
    reply.writeUInt16BE(msg.readUInt16BE(2) | 0x8000, 2);
    reply.fill(0, 4, 12);
    socket.send(reply, rinfo.port, rinfo.address);
  });
  const port = await freePort();
  await new Promise<void>((r) => socket.bind(port, '127.0.0.1', () => r()));
  return {
    port,
    count: () => received,
    close: () => new Promise<void>((r) => socket.close(() => r())),
  };
}

/** A transfer's records (no comments); dig prints "; Transfer failed." for a refusal. */
async function transfer(port: number, type: string, extra: string[]): Promise<string> {
  return digText(port, ZONE, type, ['+tcp', '+nocomments', '+nostats', ...extra]);
}

const soaCount = (text: string) => text.split('\n').filter((l) => /\sIN\s+SOA\s/.test(l)).length;

/**
 * The same checks for both surfaces: a NOTIFY on start, TSIG with the configured algorithm,
 * unsigned transfers only from the allow-unsigned network, record TTLs, a history of one
 * version (IXFR from two serials back gets the whole zone), state kept in the data dir.
 */
async function checkPrimary(options: {
  port: number;
  list: string;
  dataDir: string;
  notified: () => number;
  serial: () => Promise<number>;
}): Promise<void> {
  const { port, list } = options;
  await waitFor(async () => options.notified() >= 1, 20_000, 'a NOTIFY for serial 1');

  const signed = await transfer(port, 'AXFR', ['-y', TSIG]);
  expect(signed).toMatch(
    new RegExp(`^listed\\.test\\.${ZONE}\\.\\s+${TTL}\\s+IN\\s+CNAME\\s+\\.$`, 'm'),
  );
  const unsigned = await transfer(port, 'AXFR', ['-b', '127.0.0.1']);
  expect(unsigned).toContain('Transfer failed');
  const fromUnsignedNet = await transfer(port, 'AXFR', ['-b', '127.0.0.2']);
  expect(fromUnsignedNet).toMatch(/^listed\.test\./m);
  const wrongAlgorithm = await transfer(port, 'AXFR', ['-y', `hmac-sha256:xfr:${SECRET}`]);
  expect(wrongAlgorithm).not.toMatch(/^listed\.test\./m);

  await writeList(list, 2, ['listed.test', 'second.test']);
  await waitFor(async () => (await options.serial()) === 2, 20_000);
  await writeList(list, 3, ['listed.test', 'third.test']);
  await waitFor(async () => (await options.serial()) === 3, 20_000);
  await waitFor(async () => options.notified() >= 3, 20_000, 'NOTIFYs for serials 2 and 3');
  // history 1: from serial 2 an increment (4 SOAs), from serial 1 the whole zone (2 SOAs)
  expect(soaCount(await transfer(port, 'IXFR=2', ['-y', TSIG]))).toBe(4);
  expect(soaCount(await transfer(port, 'IXFR=1', ['-y', TSIG]))).toBe(2);
  expect((await readdir(options.dataDir)).length).toBeGreaterThan(0);
}

describe('kalkan serve rpz: keys', () => {
  let unbound: Unbound;
  let k: Kalkan;
  let notify: Awaited<ReturnType<typeof notifyListener>>;
  let rpzPort: number;

  beforeAll(async () => {
    unbound = await startUnbound(tmp.dir, [], ['test.']);
    notify = await notifyListener();
    await writeList(join(tmp.dir, 'serve.klb'), 1, ['listed.test']);
    rpzPort = await freePort();
    k = await startKalkan(tmp.dir, {
      upstreams: [`127.0.0.1:${unbound.port}`],
      rpz: [
        {
          zone: ZONE,
          listen: `127.0.0.1:${rpzPort}`,
          list: 'serve.klb',
          trust: ['publisher.pub'],
          tsig: [{ name: 'xfr', algorithm: 'hmac-sha512', secret: SECRET }],
          notify: [`127.0.0.1:${notify.port}`],
          'allow-transfer': ['127.0.0.0/8'],
          'allow-unsigned': ['127.0.0.2/32'],
          ttl: TTL,
          history: 1,
          'data-dir': 'serve-rpz-state',
        },
      ],
    });
  }, 30_000);

  afterAll(async () => {
    await k?.stop();
    await notify?.close();
    await unbound?.stop();
  });

  it('applies notify, tsig algorithm, allow-unsigned, ttl, history and data-dir', async () => {
    await checkPrimary({
      port: rpzPort,
      list: join(tmp.dir, 'serve.klb'),
      dataDir: join(tmp.dir, 'serve-rpz-state'),
      notified: notify.count,
      serial: () => metric(k.statusPort, 'kalkan_rpz_serial'),
    });
    expect(await metric(k.statusPort, 'kalkan_rpz_ixfr_as_axfr_total')).toBe(1);
    expect(await metric(k.statusPort, 'kalkan_rpz_notify_acked_total')).toBeGreaterThanOrEqual(3);
  });
});

describe('kalkan rpz serve flags', () => {
  let cli: LongRunning;
  let notify: Awaited<ReturnType<typeof notifyListener>>;
  let port: number;

  beforeAll(async () => {
    notify = await notifyListener();
    await writeList(join(tmp.dir, 'cli.klb'), 1, ['listed.test']);
    port = await freePort();
    cli = startCli([
      'rpz',
      'serve',
      '--listen',
      `127.0.0.1:${port}`,
      '--zone',
      ZONE,
      '--list',
      join(tmp.dir, 'cli.klb'),
      '--trust',
      pub,
      '--tsig',
      `xfr:hmac-sha512:${SECRET}`,
      '--notify',
      `127.0.0.1:${notify.port}`,
      '--allow-transfer',
      '127.0.0.0/8',
      '--allow-unsigned',
      '127.0.0.2/32',
      '--ttl',
      String(TTL),
      '--history',
      '1',
      '--data-dir',
      join(tmp.dir, 'cli-rpz-state'),
    ]);
    await cli.waitFor(/rpz: serving on/);
  });

  afterAll(async () => {
    await cli?.stop();
    await notify?.close();
  });

  it('applies --tsig, --notify, --allow-transfer, --allow-unsigned, --ttl, --history, --data-dir', async () => {
    await checkPrimary({
      port,
      list: join(tmp.dir, 'cli.klb'),
      dataDir: join(tmp.dir, 'cli-rpz-state'),
      notified: notify.count,
      serial: async () => {
        const soa = await digText(port, ZONE, 'SOA', ['+short']);
        return Number(soa.trim().split(/\s+/)[2]);
      },
    });
  });
});
