/**
 * Reload under load: a generator keeps queries in flight while the list file is replaced 5
 * times. No answer is SERVFAIL, every answer for the listed name carries Kalkan's block (the
 * upstream would answer it), and each new list takes effect. How many queries a reload costs
 * (loss, latency) is measured by the benchmarks (npm run bench), not asserted here.
 */
import { createSocket } from 'node:dgram';
import { join } from 'node:path';
import dnsPacket from 'dns-packet';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  BLOCKED_BY_KALKAN,
  demoSignedBundle,
  dig,
  type Kalkan,
  metric,
  replaceFile,
  startKalkan,
  startUnbound,
  tempDir,
  type Unbound,
  UPSTREAM_WILDCARD,
  waitFor,
} from '../helpers/resolver.js';

const SWAPS = 5;
const IN_FLIGHT = 20; // queries kept outstanding: the load follows the server's pace
const EDE_OPTION = 15; // RFC 8914's EDNS option code
const EDE_BLOCKED = 15; // its info-code "Blocked"
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

/** The rcode, and whether the answer carries EDE 15 (Kalkan's block for abuse). */
function readAnswer(msg: Buffer): { rcode: number; blocked: boolean } {
  const answer = dnsPacket.decode(msg);
  const opt = answer.additionals?.find((a) => a.type === 'OPT') as
    | { options?: { code: number; data?: Buffer }[] }
    | undefined;
  const blocked =
    opt?.options?.some((o) => o.code === EDE_OPTION && o.data?.readUInt16BE(0) === EDE_BLOCKED) ??
    false;
  return { rcode: (msg[3] as number) & 0x0f, blocked };
}

it('answers no SERVFAIL and blocks the listed name throughout while the list is swapped 5 times', async () => {
  expect(await dig(unbound.port, 'other.always.test', 'A', ['+short'])).toContain(
    UPSTREAM_WILDCARD.A,
  );
  const names = ['always.test', 'allowed.test', 'short.test', 'other.always.test'];
  const socket = createSocket('udp4');
  const pending = new Map<number, string>();
  const answers = new Map<string, { rcode: number; blocked: boolean }[]>();
  let nextId = 0;
  let running = true;
  const send = () => {
    const id = nextId++ & 0xffff;
    const name = names[id % names.length] as string;
    pending.set(id, name);
    socket.send(
      dnsPacket.encode({
        type: 'query',
        id,
        flags: dnsPacket.RECURSION_DESIRED,
        questions: [{ name, type: 'A', class: 'IN' }],
        additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232 } as dnsPacket.Answer],
      }),
      k.port,
      '127.0.0.1',
    );
  };
  socket.on('message', (msg) => {
    const id = msg.readUInt16BE(0);
    const name = pending.get(id);
    if (name === undefined) return;
    pending.delete(id);
    answers.set(name, [...(answers.get(name) ?? []), readAnswer(msg)]);
    if (running) send();
  });
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
  const generationBefore = await metric(k.statusPort, 'kalkan_list_generation');
  const answered = () => [...answers.values()].reduce((n, list) => n + list.length, 0);
  // Lost datagrams would stall the window; top it up now and then.
  const topUp = setInterval(() => {
    for (let i = pending.size; i < IN_FLIGHT; i++) send();
  }, 200);
  for (let i = 0; i < IN_FLIGHT; i++) send();

  for (let swap = 1; swap <= SWAPS; swap++) {
    const before = answered();
    // some answers under the current list first (a positive control for this window)
    await waitFor(async () => answered() >= before + 200, 30_000, 'answers before the swap');
    await replaceFile(listFile, await listFor(1 + swap));
    await waitFor(async () => BLOCKED_BY_KALKAN.test(await dig(k.port, `swap${1 + swap}.test`)));
  }
  const last = answered();
  await waitFor(async () => answered() >= last + 200, 30_000, 'answers after the last swap');
  running = false;
  clearInterval(topUp);
  socket.close();

  const all = [...answers.values()].flat();
  expect(all.filter((a) => a.rcode === 2)).toEqual([]); // SERVFAIL
  for (const name of ['always.test', 'other.always.test']) {
    const seen = answers.get(name) ?? [];
    expect(seen.length).toBeGreaterThan(SWAPS);
    expect(seen.filter((a) => a.rcode !== 3 || !a.blocked)).toEqual([]);
  }
  expect(new Set(answers.get('allowed.test')?.map((a) => a.rcode))).toEqual(new Set([0]));
  expect(await metric(k.statusPort, 'kalkan_list_generation')).toBeGreaterThanOrEqual(
    generationBefore + SWAPS,
  );
  // The first list is gone: the upstream's own answer, no block.
  const swap1 = await dig(k.port, 'swap1.test');
  expect(swap1).not.toContain('blocked by Kalkan');
  expect(swap1).toContain(UPSTREAM_WILDCARD.A);
});
