/**
 * The query log (off by default; `queryLog: true`): each line names the query type and the
 * rcode in words and, for a blocked query, the category (issue 12).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  dig,
  type Kalkan,
  startKalkan,
  startUnbound,
  tempDir,
  type Unbound,
  waitFor,
} from '../helpers/resolver.js';

let tmp: Awaited<ReturnType<typeof tempDir>>;
let unbound: Unbound;
let k: Kalkan;

beforeAll(async () => {
  tmp = await tempDir('kalkan-query-log-');
  unbound = await startUnbound(tmp.dir, ['allowed.test. 300 IN AAAA 2001:db8::10'], ['test.']);
  k = await startKalkan(tmp.dir, { upstreams: [`127.0.0.1:${unbound.port}`], queryLog: true });
});

afterAll(async () => {
  await k?.stop();
  await unbound?.stop();
  await tmp?.remove();
});

it('logs type and rcode by name, and the category of a blocked query', async () => {
  await dig(k.port, 'abuse-demo.test', 'A');
  await dig(k.port, 'allowed.test', 'AAAA');
  const lines = () =>
    k
      .stdout()
      .split('\n')
      .filter((l) => l.includes('"kind":"query-log"'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  await waitFor(async () => lines().length >= 2);
  expect(lines()).toEqual([
    expect.objectContaining({
      name: 'abuse-demo.test',
      type: 'A',
      rcode: 'NXDOMAIN',
      category: 'abuse',
    }),
    expect.objectContaining({ name: 'allowed.test', type: 'AAAA', rcode: 'NOERROR' }),
  ]);
  expect(lines()[1]).not.toHaveProperty('category');
});
