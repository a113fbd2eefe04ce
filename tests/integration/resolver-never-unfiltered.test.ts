/**
 * Never silently unfiltered (issue 12): a first start with the list server down answers SERVFAIL
 * with EDE 14 Not Ready and /healthz says so; an expired copy stays in force across a restart,
 * loudly; a subscription is one list: a validly signed bundle of another list at its URL is
 * refused, sequences are compared per list, and `kalkan serve lists reset` forgets a copy.
 */
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runKalkan } from '../helpers/kalkan-process.js';
import { freePort } from '../helpers/ports.js';
import {
  demoSignedBundle,
  dig,
  type Kalkan,
  metric,
  startKalkan,
  startUnbound,
  statusOf,
  tempDir,
  type Unbound,
  waitFor,
} from '../helpers/resolver.js';

let tmp: Awaited<ReturnType<typeof tempDir>>;
let unbound: Unbound;
const servers: Kalkan[] = [];
const https: Server[] = [];

beforeAll(async () => {
  tmp = await tempDir('kalkan-unfiltered-');
  unbound = await startUnbound(
    tmp.dir,
    ['allowed.test. 300 IN A 192.0.2.10', 'www.foreign.test. 300 IN A 192.0.2.11'],
    ['test.'],
  );
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  for (const h of https) h.close();
  await unbound?.stop();
  await tmp?.remove();
});

/** A list server whose bundle the test swaps; `null` answers 503. */
async function listServer(): Promise<{ url: string; serve: (b: Uint8Array | null) => void }> {
  let bundle: Uint8Array | null = null;
  const server = createServer((_req, res) => {
    if (!bundle) res.writeHead(503).end();
    else res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(bundle);
  });
  https.push(server);
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${port}/abuse.klb`, serve: (b) => (bundle = b) };
}

async function healthz(k: Kalkan): Promise<{ status: number; text: string }> {
  const res = await fetch(`http://127.0.0.1:${k.statusPort}/healthz`);
  return { status: res.status, text: await res.text() };
}

async function start(config: Record<string, unknown>): Promise<Kalkan> {
  const k = await startKalkan(tmp.dir, { upstreams: [`127.0.0.1:${unbound.port}`], ...config });
  servers.push(k);
  return k;
}

describe('first start with the list server down', () => {
  it('answers SERVFAIL with EDE 14 and /healthz not ok, then filters once the list arrives', async () => {
    const lists = await listServer(); // answers 503 for now
    const k = await start({
      lists: [{ url: lists.url, id: 'sub-abuse', category: 'abuse' }],
      dataDir: join(tmp.dir, 'first-start'),
    });
    const answer = await dig(k.port, 'allowed.test');
    expect(statusOf(answer)).toBe('SERVFAIL');
    expect(answer).toMatch(/EDE: 14 \(Not Ready\).*Kalkan filter not ready/);
    const health = await healthz(k);
    expect(health.status).toBe(503);
    expect(health.text).toContain('not ready: list sub-abuse has no usable copy');
    expect(await metric(k.statusPort, 'kalkan_filter_ready')).toBe(0);
    expect(k.stdout()).toContain('the filter is not ready');

    lists.serve(
      await demoSignedBundle(['listed.test'], { id: 'sub-abuse', category: 'abuse', sequence: 1 }),
    );
    k.child.kill('SIGHUP');
    await waitFor(async () => statusOf(await dig(k.port, 'allowed.test')) === 'NOERROR');
    expect(await dig(k.port, 'www.listed.test')).toMatch(/EDE: 15 \(Blocked\).*blocked by Kalkan/);
    expect((await healthz(k)).status).toBe(200);
    expect(await metric(k.statusPort, 'kalkan_filter_ready')).toBe(1);
  });

  it('serves unfiltered with a warning only when the config says so', async () => {
    const k = await start({
      lists: [{ url: `http://127.0.0.1:${await freePort()}/none.klb`, id: 'sub-abuse' }],
      whenListsMissing: 'serve',
      dataDir: join(tmp.dir, 'serve-anyway'),
    });
    expect(statusOf(await dig(k.port, 'allowed.test'))).toBe('NOERROR');
    const health = await healthz(k);
    expect(health.status).toBe(503);
    expect(health.text).toContain('serving UNFILTERED');
  });
});

it('keeps an expired copy in force across a restart, and says so everywhere', async () => {
  const lists = await listServer();
  const expires = new Date(Date.now() + 3000).toISOString();
  lists.serve(
    await demoSignedBundle(['expiring.test'], {
      id: 'sub-abuse',
      category: 'abuse',
      sequence: 1,
      expires,
    }),
  );
  const config = {
    lists: [{ url: lists.url, id: 'sub-abuse', category: 'abuse' }],
    dataDir: join(tmp.dir, 'expired'),
  };
  const first = await start(config);
  await waitFor(async () => statusOf(await dig(first.port, 'www.expiring.test')) === 'NXDOMAIN');
  await first.stop();
  await waitFor(async () => Date.now() > Date.parse(expires) + 200, 10_000, 'expiry');

  // A power cut later: the list server still has only the expired bundle.
  const second = await start(config);
  const answer = await dig(second.port, 'www.expiring.test');
  expect(statusOf(answer)).toBe('NXDOMAIN');
  expect(answer).toMatch(/EDE: 15 \(Blocked\).*list sub-abuse/);
  expect(second.stdout()).toMatch(
    /"level":40.*"list":"sub-abuse".*list expired and is still in force/,
  );
  const page = await (await fetch(`http://127.0.0.1:${second.statusPort}/`)).text();
  expect(page).toContain('EXPIRED');
  expect(page).toContain('Needs attention');
  const health = await healthz(second);
  expect(health.status).toBe(503);
  expect(health.text).toMatch(/degraded: list sub-abuse expired/);
  expect(await metric(second.statusPort, 'kalkan_list_expires_in_days')).toBeLessThan(0);
});

it('refuses another list at a subscription URL, compares sequences per list, and resets a copy', async () => {
  const lists = await listServer();
  const own = (sequence: number) =>
    demoSignedBundle(['subscribed.test'], { id: 'sub-abuse', category: 'abuse', sequence });
  lists.serve(await own(1));
  const config = {
    lists: [{ url: lists.url, id: 'sub-abuse', category: 'abuse' }],
    dataDir: join(tmp.dir, 'foreign'),
  };
  const k = await start(config);
  await waitFor(async () => statusOf(await dig(k.port, 'www.subscribed.test')) === 'NXDOMAIN');

  // Validly signed by the same publisher, higher sequence, another list and category.
  lists.serve(
    await demoSignedBundle(['foreign.test'], { id: 'other', category: 'adult', sequence: 99 }),
  );
  k.child.kill('SIGHUP');
  await waitFor(async () => k.stdout().includes('another list than the one subscribed'));
  expect(k.stdout()).toMatch(/"code":"wrong-list"/);
  expect(statusOf(await dig(k.port, 'www.subscribed.test'))).toBe('NXDOMAIN');
  expect(statusOf(await dig(k.port, 'www.foreign.test'))).toBe('NOERROR');

  // The real list's next sequence is compared with its own (1), not the foreign 99.
  lists.serve(await own(2));
  k.child.kill('SIGHUP');
  await waitFor(async () => (await metric(k.statusPort, 'kalkan_list_sequence')) === 2);
  expect(k.stdout()).not.toContain('sequence-rollback');
  await k.stop();

  const reset = await runKalkan(['serve', 'lists', 'reset', 'sub-abuse', '--config', k.configPath]);
  expect(reset.code).toBe(0);
  expect(reset.stdout).toContain(`removed the last good copy of ${lists.url}`);
  const again = await runKalkan(['serve', 'lists', 'reset', 'sub-abuse', '--config', k.configPath]);
  expect(again.code).toBe(1);
  expect(again.stderr).toContain('no last good copy of sub-abuse');
});
