/**
 * The status port: the HTML page looked at in a real Chromium (playwright-core), and /metrics
 * scraped as Prometheus text.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/chromium.js';
import {
  dig,
  type Kalkan,
  startKalkan,
  startUnbound,
  tempDir,
  type Unbound,
} from '../helpers/resolver.js';

let tmp: Awaited<ReturnType<typeof tempDir>>;
let unbound: Unbound;
let k: Kalkan;
let browser: Browser | undefined;

beforeAll(async () => {
  tmp = await tempDir('kalkan-status-');
  unbound = await startUnbound(tmp.dir, ['allowed.test. 300 IN A 192.0.2.10'], ['test.']);
  k = await startKalkan(tmp.dir, { upstreams: [`127.0.0.1:${unbound.port}`] });
  await dig(k.port, 'abuse-demo.test');
  await dig(k.port, 'www.abuse-demo.test');
  await dig(k.port, 'adult-demo.test');
  await dig(k.port, 'allowed.test');
  await dig(k.port, 'allowed.test');
});

afterAll(async () => {
  await browser?.close();
  await k?.stop();
  await unbound?.stop();
  await tmp?.remove();
});

describe('status page', () => {
  it('shows the lists, the counts and the upstream health in Chromium', async () => {
    browser = await launchChromium();
    const page = await browser.newPage();
    const response = await page.goto(`http://127.0.0.1:${k.statusPort}/`);
    expect(response?.status()).toBe(200);
    await expect(page.title()).resolves.toBe('Kalkan resolver');

    const lists = await page.locator('#lists tbody tr').allInnerTexts();
    expect(lists.some((r) => r.includes('demo-abuse') && r.includes('abuse'))).toBe(true);
    expect(lists.some((r) => r.includes('demo-adult') && r.includes('adult'))).toBe(true);

    const counts = (await page.locator('#counts tr').allInnerTexts()).join('\n');
    expect(counts).toMatch(/Queries\s+5/);
    expect(counts).toMatch(/Blocked \(abuse\)\s+2/);
    expect(counts).toMatch(/Blocked \(adult\)\s+1/);
    expect(counts).toMatch(/Cache hits\s+1/);

    const today = new Date().toISOString().slice(0, 10);
    expect((await page.locator('#daily tr').allInnerTexts()).join('\n')).toContain(today);

    const [upstream] = await page.locator('#upstreams tbody tr').allInnerTexts();
    expect(upstream).toContain(`127.0.0.1:${unbound.port}`);
    expect(upstream).toContain('up');
  });
});

describe('/metrics', () => {
  it('exports queries, blocked by category, cache hits, upstream latency, refusals and list sequence', async () => {
    const res = await fetch(`http://127.0.0.1:${k.statusPort}/metrics`);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(text).toMatch(/^kalkan_queries_total \d+/m);
    expect(text).toMatch(/^kalkan_blocked_total\{category="abuse"\} 2$/m);
    expect(text).toMatch(/^kalkan_blocked_total\{category="adult"\} 1$/m);
    expect(text).toMatch(/^kalkan_cache_hits_total 1$/m);
    expect(text).toMatch(/^kalkan_name_table_misses_total [1-9]\d*$/m);
    expect(text).toMatch(/^kalkan_name_table_hits_total \d+$/m);
    expect(text).toMatch(/^kalkan_rate_limited_total 0$/m);
    expect(text).toMatch(/^kalkan_refused_total 0$/m);
    expect(text).toMatch(
      new RegExp(
        `^kalkan_upstream_latency_seconds_count\\{upstream="127.0.0.1:${unbound.port}"\\} 1$`,
        'm',
      ),
    );
    expect(text).toMatch(/^kalkan_list_sequence\{list="demo-abuse",category="abuse"\} \d{9,}$/m);
  });
});
