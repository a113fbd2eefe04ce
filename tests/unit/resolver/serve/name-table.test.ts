import { describe, expect, it } from 'vitest';
import type { Verdict } from '../../../../blocklists/matcher.js';
import { MAX_NAME_BYTES, NameTable } from '../../../../resolver/serve/name-table.js';

/** A name's wire labels without the root byte, at offset 3 of a bigger buffer (as in a query). */
function wire(name: string): { msg: Buffer; start: number; length: number } {
  // Case kept as written (nameToWire would lower it): the table must fold case itself.
  const labels = Buffer.from([
    ...name.split('.').flatMap((l) => [l.length, ...Buffer.from(l, 'latin1')]),
    0,
  ]);
  return { msg: Buffer.concat([Buffer.alloc(3), labels]), start: 3, length: labels.length - 1 };
}

function find(t: NameTable, name: string, policy = 0): number {
  const { msg, start, length } = wire(name);
  return t.find(NameTable.hash(msg, start, length, policy), msg, start, length, policy);
}

/** The name's entry, added when missing. */
function entryOf(t: NameTable, name: string, policy = 0): number {
  const { msg, start, length } = wire(name);
  const hash = NameTable.hash(msg, start, length, policy);
  const found = t.find(hash, msg, start, length, policy);
  return found >= 0 ? found : t.add(hash, msg, start, length, policy);
}

const verdict = (listId: string): Verdict => ({ blocked: true, category: 'abuse', listId });

function put(t: NameTable, name: string, policy: number, value: string) {
  t.setVerdict(entryOf(t, name, policy), verdict(value));
}

function get(t: NameTable, name: string, policy = 0): string | undefined {
  const entry = find(t, name, policy);
  const v = entry < 0 ? undefined : t.verdict(entry);
  return v?.blocked ? v.listId : undefined;
}

describe('name table', () => {
  it('finds a name by its bytes in any case, per policy', () => {
    const t = new NameTable(8);
    put(t, 'www.example.test', 0, 'a');
    put(t, 'www.example.test', 1, 'b');
    expect(get(t, 'WWW.Example.TEST')).toBe('a');
    expect(get(t, 'www.example.test', 1)).toBe('b');
    expect(find(t, 'ww.example.test')).toBe(-1);
    expect(find(t, 'www.example.tests')).toBe(-1);
    put(t, 'www.example.test', 0, 'c');
    expect(get(t, 'www.example.test')).toBe('c');
    expect(t.size).toBe(2);
  });

  it('keeps what each stage learnt per entry: special, verdict, four answers', () => {
    const t = new NameTable(8);
    const a = entryOf(t, 'a.test');
    const b = entryOf(t, 'b.test');
    expect(t.special(a)).toBeUndefined();
    expect(t.verdict(a)).toBeUndefined();
    t.setSpecial(a, true);
    t.setSpecial(b, false);
    const answer = {
      memory: Buffer.alloc(12),
      start: 0,
      length: 12,
      ttlCount: 0,
      storedAt: 0,
      expiresAt: 1,
      cnames: undefined,
    };
    t.setAnswer(b, 3, answer);
    expect([t.special(a), t.special(b)]).toEqual([true, false]);
    expect([0, 1, 2, 3].map((slot) => t.answer(b, slot))).toEqual([
      undefined,
      undefined,
      undefined,
      answer,
    ]);
    expect(t.answer(a, 3)).toBeUndefined();
  });

  it('never holds more than its capacity: cleared whole when full, then learns again', () => {
    const t = new NameTable(4);
    for (let i = 0; i < 4; i++) put(t, `n${i}.test`, 0, String(i));
    expect(get(t, 'n3.test')).toBe('3');
    put(t, 'n4.test', 0, '4');
    expect(t.size).toBe(1);
    expect(find(t, 'n0.test')).toBe(-1);
    expect(get(t, 'n4.test')).toBe('4');
    // A cleared name comes back with nothing known, never with another name's facts.
    const again = entryOf(t, 'n0.test');
    expect(t.verdict(again)).toBeUndefined();
    expect(t.special(again)).toBeUndefined();
    expect(t.answer(again, 0)).toBeUndefined();
    for (let i = 0; i < 1000; i++) {
      put(t, `m${i}.test`, i % 3, String(i));
      expect(t.size).toBeLessThanOrEqual(4);
      expect(get(t, `m${i}.test`, i % 3)).toBe(String(i));
    }
  });

  it('is cleared when its name bytes are used up, and keeps no name longer than 64 bytes', () => {
    const t = new NameTable(4); // 4 × 32 slab bytes
    const long = (c: string) => `${c.repeat(50)}.test`; // 56 wire bytes
    put(t, long('a'), 0, 'a');
    put(t, long('b'), 0, 'b');
    expect(t.size).toBe(2);
    put(t, long('c'), 0, 'c'); // 168 bytes: more than the slab
    expect(t.size).toBe(1);
    expect(get(t, long('c'))).toBe('c');
    expect(find(t, long('a'))).toBe(-1);
    const tooLong = `${'x'.repeat(MAX_NAME_BYTES)}.test`;
    const { msg, start, length } = wire(tooLong);
    expect(t.add(NameTable.hash(msg, start, length, 0), msg, start, length, 0)).toBe(-1);
    expect(find(t, tooLong)).toBe(-1);
  });

  it('keeps up to 255 distinct verdicts by number; beyond that a name is asked again', () => {
    const t = new NameTable(1024);
    for (let i = 0; i < 300; i++) put(t, `v${i}.test`, 0, String(i));
    expect(get(t, 'v0.test')).toBe('0');
    expect(get(t, 'v254.test')).toBe('254');
    expect(get(t, 'v255.test')).toBeUndefined();
    // The same verdict object is one number, however many names share it.
    const u = new NameTable(1024);
    const shared = verdict('shared');
    for (let i = 0; i < 300; i++) u.setVerdict(entryOf(u, `s${i}.test`), shared);
    expect(u.verdict(entryOf(u, 's0.test'))).toBe(shared);
    expect(u.verdict(entryOf(u, 's299.test'))).toBe(shared);
  });

  it('refuses a capacity that is not a positive integer', () => {
    expect(() => new NameTable(0)).toThrow(/positive integer, not 0/);
  });
});
