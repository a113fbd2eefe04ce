/**
 * Reload under load: a generator sends queries for 10 s while the list file is replaced 5 times.
 * Every query gets an answer (none lost), none is SERVFAIL, the listed name is blocked throughout,
 * and each new list takes effect.
 */
import { createSocket } from 'node:dgram';
import { join } from 'node:path';
import dnsPacket from 'dns-packet';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  demoSignedBundle,
  dig,
  type Kalkan,
  metric,
  replaceFile,
  startKalkan,
  startUnbound,
  tempDir,
  type Unbound,
  waitFor,
} from '../helpers/resolver.js';

const DURATION_MS = 10_000;
const SWAPS = 5;
const PER_TICK = 10; // every 10 ms: about 1,000 queries a second
let tmp: Awaited<ReturnType<typeof tempDir>>;
let unbound: Unbound;
let k: Kalkan;
let listFile: string;

const listFor = (sequence: number) =>
  demoSignedBundle(['always.test', `swap${sequence}.test`], {
    id: 'reload-test',
    category: 'abuse',
    sequence,
  });

beforeAll(async () => {
  tmp = await tempDir('kalkan-reload-');
  unbound = await startUnbound(
    tmp.dir,
    ['allowed.test. 300 IN A 192.0.2.10', 'short.test. 1 IN A 192.0.2.11'],
    ['test.'],
  );
  listFile = join(tmp.dir, 'list.klb');
  await replaceFile(listFile, await listFor(1));
  k = await startKalkan(tmp.dir, {
    upstreams: [`127.0.0.1:${unbound.port}`],
    lists: [{ file: listFile }],
  });
});

afterAll(async () => {
  await k?.stop();
  await unbound?.stop();
  await tmp?.remove();
});

it('loses no query and answers no SERVFAIL while the list is swapped 5 times', async () => {
  const names = ['always.test', 'allowed.test', 'short.test', 'other.always.test'];
  const socket = createSocket('udp4');
  const pending = new Map<number, string>();
  const rcodes = new Map<string, number[]>();
  let sent = 0;
  let nextId = 0;
  socket.on('message', (msg) => {
    const id = msg.readUInt16BE(0);
    const name = pending.get(id);
    if (name === undefined) return;
    pending.delete(id);
    const list = rcodes.get(name) ?? [];
    list.push((msg[3] as number) & 0x0f);
    rcodes.set(name, list);
  });
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
  const generationBefore = await metric(k.statusPort, 'kalkan_list_generation');

  const started = Date.now();
  const ticker = setInterval(() => {
    for (let i = 0; i < PER_TICK; i++) {
      const id = nextId++ & 0xffff;
      const name = names[sent % names.length] as string;
      pending.set(id, name);
      sent++;
      socket.send(
        dnsPacket.encode({
          type: 'query',
          id,
          flags: dnsPacket.RECURSION_DESIRED,
          questions: [{ name, type: 'A', class: 'IN' }],
        }),
        k.port,
        '127.0.0.1',
      );
    }
  }, 10);
  for (let swap = 1; swap <= SWAPS; swap++) {
    await new Promise((r) => setTimeout(r, DURATION_MS / (SWAPS + 1)));
    await replaceFile(listFile, await listFor(1 + swap));
    // each swap takes effect: the new list's own name is blocked (by Kalkan: Unbound's own
    // answer for an unknown .test name is NXDOMAIN too)
    await waitFor(async () =>
      (await dig(k.port, `swap${1 + swap}.test`)).includes('blocked by Kalkan'),
    );
  }
  await new Promise((r) => setTimeout(r, Math.max(0, DURATION_MS - (Date.now() - started))));
  clearInterval(ticker);
  await waitFor(async () => pending.size === 0, 3000).catch(() => {});
  socket.close();

  expect(sent).toBeGreaterThan(5000);
  expect(pending.size).toBe(0); // lost queries
  const all = [...rcodes.values()].flat();
  expect(all.length).toBe(sent);
  expect(all.filter((r) => r === 2)).toEqual([]); // SERVFAIL
  expect(new Set(rcodes.get('always.test'))).toEqual(new Set([3]));
  expect(new Set(rcodes.get('other.always.test'))).toEqual(new Set([3]));
  expect(new Set(rcodes.get('allowed.test'))).toEqual(new Set([0]));
  expect(await metric(k.statusPort, 'kalkan_list_generation')).toBeGreaterThanOrEqual(
    generationBefore + SWAPS,
  );
  // The first list is gone: Unbound's own NXDOMAIN, no block EDE.
  expect(await dig(k.port, 'swap1.test')).not.toContain('blocked by Kalkan');
});
