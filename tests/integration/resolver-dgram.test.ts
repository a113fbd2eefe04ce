/**
 * The key `kalkan serve` tests again with the node:dgram transport forced (`udpIo: dgram`), so
 * the fallback used where the batched addon cannot load stays as correct as the default.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Kalkan, startKalkan, tempDir } from '../helpers/resolver.js';

process.env.KALKAN_TEST_UDP_IO = 'dgram';
await import('./resolver-dns.test.js');
await import('./resolver-robustness.test.js');
await import('./resolver-reload.test.js');

let tmp: Awaited<ReturnType<typeof tempDir>>;
let k: Kalkan;

beforeAll(async () => {
  tmp = await tempDir('kalkan-dgram-');
  k = await startKalkan(tmp.dir, {});
});

afterAll(async () => {
  await k?.stop();
  await tmp?.remove();
});

it('uses node:dgram when told to', () => {
  expect(k.stdout()).toContain('UDP: node:dgram');
  expect(k.stdout()).not.toContain('UDP: batched');
});
