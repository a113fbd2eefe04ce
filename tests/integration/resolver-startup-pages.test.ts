/**
 * `memory.releaseStartupPages` (on by default): once `kalkan serve` answers, it hands back the
 * pages of Node's program and libraries it read only to start (resolver/native/program-pages.c).
 * The same server with the key off keeps them, so its resident program pages are the control.
 * With them handed back the server still blocks, forwards and reloads: the pages it uses come
 * back as it touches them, and nothing it wrote (copy-on-write pages) was dropped.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  BLOCKED_BY_KALKAN,
  dig,
  type Kalkan,
  startKalkan,
  startUnbound,
  statusOf,
  tempDir,
  type Unbound,
  UPSTREAM_WILDCARD,
  waitFor,
} from '../helpers/resolver.js';

let tmp: Awaited<ReturnType<typeof tempDir>>;
let unbound: Unbound;
let handedBack: Kalkan;
let kept: Kalkan;
/** The debug line after the pages went back (pino's msg). */
const HANDED_BACK = 'start-up pages handed back';

/** Resident pages mapped from files (the program, its libraries), in MB. */
async function residentFileMb(pid: number | undefined): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/^RssFile:\s+(\d+) kB/m.exec(status)?.[1]) / 1024;
}

beforeAll(async () => {
  tmp = await tempDir('kalkan-startup-pages-');
  unbound = await startUnbound(tmp.dir, [], ['test.']);
  const upstreams = [`127.0.0.1:${unbound.port}`];
  handedBack = await startKalkan(tmp.dir, { upstreams, logLevel: 'debug' });
  await waitFor(async () => handedBack.stdout().includes(HANDED_BACK), 15_000, HANDED_BACK);
  kept = await startKalkan(tmp.dir, { upstreams, memory: { releaseStartupPages: false } });
});

afterAll(async () => {
  await handedBack?.stop();
  await kept?.stop();
  await unbound?.stop();
  await tmp?.remove();
});

it('holds far fewer program pages than the same server keeping them, and still answers', async () => {
  for (const k of [handedBack, kept]) {
    expectBlocked(await dig(k.port, 'abuse-demo.test'));
    expect(await dig(k.port, 'allowed.test', 'A', ['+short'])).toContain(UPSTREAM_WILDCARD.A);
  }
  const released = await residentFileMb(handedBack.child.pid);
  const control = await residentFileMb(kept.child.pid);
  // Node's program alone keeps about 40 MB resident after start-up; about half goes back.
  expect(control).toBeGreaterThan(30);
  expect(released).toBeLessThan(control - 10);
});

it('reloads on SIGHUP after handing the pages back, and hands them back again', async () => {
  const before = countOf(handedBack.stdout(), HANDED_BACK);
  handedBack.child.kill('SIGHUP');
  await waitFor(
    async () => countOf(handedBack.stdout(), HANDED_BACK) > before,
    15_000,
    `${HANDED_BACK} after the reload`,
  );
  expectBlocked(await dig(handedBack.port, 'abuse-demo.test'));
  expect(handedBack.child.exitCode).toBeNull();
});

it("a cluster's primary hands its pages back once every worker answers", async () => {
  const cluster = await startKalkan(tmp.dir, {
    upstreams: [`127.0.0.1:${unbound.port}`],
    workers: 2,
  });
  try {
    const control = await residentFileMb(kept.child.pid);
    // The primary has no log; what it holds resident is what says it handed its pages back.
    await waitFor(
      async () => (await residentFileMb(cluster.child.pid)) < control - 10,
      15_000,
      `the primary's program pages under ${Math.round(control - 10)} MB`,
    );
    expectBlocked(await dig(cluster.port, 'abuse-demo.test'));
  } finally {
    await cluster.stop();
  }
});

function expectBlocked(out: string): void {
  expect(statusOf(out)).toBe('NXDOMAIN');
  expect(out).toMatch(BLOCKED_BY_KALKAN);
}

function countOf(text: string, phrase: string): number {
  return text.split(phrase).length - 1;
}
