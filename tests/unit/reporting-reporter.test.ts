import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEEP_DELIVERED_MS } from '../../reporting/courier.js';
import { type KeyValueArea, KeyValueOutboxStorage } from '../../reporting/key-value-storage.js';
import { generateUnitKeyPair } from '../../reporting/keygen.js';
import { Reporter } from '../../reporting/reporter.js';
import { openReport, type SealedReport } from '../../reporting/seal.js';

/** A stand-in for chrome.storage.local that, like it, hands out copies (JSON round trip). */
class FakeArea implements KeyValueArea {
  readonly items = new Map<string, string>([['unrelated.setting', '"kept"']]);
  async get(keys: string | string[] | null) {
    const wanted = keys === null ? [...this.items.keys()] : Array.isArray(keys) ? keys : [keys];
    const out: Record<string, unknown> = {};
    for (const k of wanted) {
      const v = this.items.get(k);
      if (v !== undefined) out[k] = JSON.parse(v);
    }
    return out;
  }
  async set(items: Record<string, unknown>) {
    for (const [k, v] of Object.entries(items)) this.items.set(k, JSON.stringify(v));
  }
  async remove(keys: string | string[]) {
    for (const k of Array.isArray(keys) ? keys : [keys]) this.items.delete(k);
  }
}

const unit = await generateUnitKeyPair();
let server: Server;
let url = '';
let answers: number[] = [];
const received: SealedReport[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => {
      body += d;
    });
    req.on('end', () => {
      received.push(JSON.parse(body) as SealedReport);
      res.writeHead(answers.shift() ?? 201, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/`;
});

afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('Reporter over a chrome.storage-shaped area', () => {
  it('seals on submit, keeps no plaintext URL, delivers, and survives a new Reporter (worker restart)', async () => {
    const area = new FakeArea();
    const make = () =>
      new Reporter({
        storage: new KeyValueOutboxStorage(area),
        intakeUrl: url,
        unitPublicKey: unit.publicKey,
        source: 'extension',
        backoff: { baseMs: 1, maxMs: 1 },
      });
    answers = [503];
    const first = make();
    const entry = await first.submit({ url: 'https://abuse-demo.test/p', category: 'csem' });
    expect([...area.items.values()].join()).not.toContain('abuse-demo');
    expect((await first.deliver()).retried).toBe(1);

    // The service worker stops; a fresh one finds the queued report and delivers it.
    const second = make();
    expect((await second.entries()).map((e) => e.state)).toEqual(['queued']);
    await new Promise((r) => setTimeout(r, 5));
    expect((await second.deliver()).delivered).toBe(1);
    expect((await second.entries())[0]).toMatchObject({
      id: entry.id,
      state: 'delivered',
      attempts: 2,
    });
    expect(await second.nextAttemptAt()).toBeUndefined();
    expect(area.items.get('unrelated.setting')).toBe('"kept"');
    const last = received.at(-1) as SealedReport;
    expect((await openReport(last, unit.secretKey)).url).toBe('https://abuse-demo.test/p');
  });

  it('shares one delivery pass between concurrent callers', async () => {
    answers = [];
    const reporter = new Reporter({
      storage: new KeyValueOutboxStorage(new FakeArea()),
      intakeUrl: url,
      unitPublicKey: unit.publicKey,
      source: 'extension',
    });
    await reporter.submit({
      url: 'https://abuse-demo.test/q',
      category: 'grooming',
      whereFound: 'chat',
    });
    const before = received.length;
    const [a, b] = await Promise.all([reporter.deliver(), reporter.deliver()]);
    expect(a).toBe(b);
    expect(received.length - before).toBe(1);
  });

  it('keeps a delivered report listed for KEEP_DELIVERED_MS, then drops it', async () => {
    answers = [];
    let now = Date.parse('2026-11-01T00:00:00Z');
    const reporter = new Reporter({
      storage: new KeyValueOutboxStorage(new FakeArea()),
      intakeUrl: url,
      unitPublicKey: unit.publicKey,
      source: 'extension',
      now: () => now,
    });
    await reporter.submit({ url: 'https://abuse-demo.test/old', category: 'csem' });
    await reporter.deliver();
    expect((await reporter.entries()).map((e) => e.state)).toEqual(['delivered']);
    now += KEEP_DELIVERED_MS - 1;
    await reporter.deliver();
    expect(await reporter.entries()).toHaveLength(1);
    now += 2;
    await reporter.deliver();
    expect(await reporter.entries()).toEqual([]);
  });

  it('rejects an invalid draft before anything is queued', async () => {
    const area = new FakeArea();
    const reporter = new Reporter({
      storage: new KeyValueOutboxStorage(area),
      intakeUrl: url,
      unitPublicKey: unit.publicKey,
      source: 'extension',
    });
    await expect(reporter.submit({ url: 'chrome://settings', category: 'csem' })).rejects.toThrow(
      /^url:/,
    );
    expect(await reporter.entries()).toEqual([]);
  });
});
