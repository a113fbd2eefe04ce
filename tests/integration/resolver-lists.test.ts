/**
 * List subscriptions: fetched by URL with a conditional GET, and kept on disk so a restart
 * without network still filters.
 */
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { freePort } from '../helpers/ports.js';
import {
  BLOCKED_BY_KALKAN,
  demoSignedBundle,
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
let http: Server | undefined;
const servers: Kalkan[] = [];
const requests: { ifNoneMatch: string | undefined; status: number }[] = [];

beforeAll(async () => {
  tmp = await tempDir('kalkan-lists-');
  unbound = await startUnbound(tmp.dir, ['allowed.test. 300 IN A 192.0.2.10'], ['test.']);
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  http?.close();
  await unbound?.stop();
  await tmp?.remove();
});

it('fetches a subscription with a conditional GET and filters from the last good copy after a restart without network', async () => {
  const bundle = await demoSignedBundle(['subscribed.test'], {
    id: 'subscription',
    category: 'abuse',
    sequence: 1,
  });
  const etag = '"v1"';
  http = createServer((req, res) => {
    const ifNoneMatch = req.headers['if-none-match'];
    const status = ifNoneMatch === etag ? 304 : 200;
    requests.push({ ifNoneMatch, status });
    res.writeHead(status, { etag, 'content-type': 'application/octet-stream' });
    res.end(status === 200 ? bundle : undefined);
  });
  const httpPort = await freePort();
  await new Promise<void>((r) => http?.listen(httpPort, '127.0.0.1', () => r()));
  const config = {
    upstreams: [`127.0.0.1:${unbound.port}`],
    lists: [{ url: `http://127.0.0.1:${httpPort}/list.klb` }],
    dataDir: join(tmp.dir, 'data'),
  };

  // the control: without Kalkan the listed name resolves
  expect(await dig(unbound.port, 'www.subscribed.test', 'A', ['+short'])).toContain(
    UPSTREAM_WILDCARD.A,
  );
  const first = await startKalkan(tmp.dir, config);
  servers.push(first);
  await waitFor(async () => BLOCKED_BY_KALKAN.test(await dig(first.port, 'www.subscribed.test')));
  expect(requests[0]).toEqual({ ifNoneMatch: undefined, status: 200 });
  // fetched once at start: a subscription just fetched is not fetched again
  expect(requests).toHaveLength(1);
  first.child.kill('SIGHUP');
  await waitFor(async () => requests.length >= 2);
  expect(requests[1]).toEqual({ ifNoneMatch: etag, status: 304 });
  await first.stop(); // SIGTERM: a graceful stop
  expect(first.child.exitCode).toBe(0);
  expect(first.stdout()).toContain('"msg":"stopped"');

  await new Promise<void>((r) => http?.close(() => r()));
  http = undefined;
  const second = await startKalkan(tmp.dir, config); // the list URL is unreachable now
  servers.push(second);
  // blocked from the first answer on: the list came from disk, not from a late fetch
  const blocked = await dig(second.port, 'www.subscribed.test');
  expect(statusOf(blocked)).toBe('NXDOMAIN');
  expect(blocked).toContain('list subscription');
  expect(blocked).toMatch(BLOCKED_BY_KALKAN);
  const page = await (await fetch(`http://127.0.0.1:${second.statusPort}/`)).text();
  expect(page).toContain('last good copy');
});
