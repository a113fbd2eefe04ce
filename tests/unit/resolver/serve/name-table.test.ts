import { describe, expect, it } from 'vitest';
import { NameTable } from '../../../../resolver/serve/name-table.js';

/** A name's wire labels without the root byte, at offset 3 of a bigger buffer (as in a query). */
function wire(name: string): { msg: Buffer; start: number; length: number } {
  // Case kept as written (nameToWire would lower it): the table must fold case itself.
  const labels = Buffer.from([
    ...name.split('.').flatMap((l) => [l.length, ...Buffer.from(l, 'latin1')]),
    0,
  ]);
  return { msg: Buffer.concat([Buffer.alloc(3), labels]), start: 3, length: labels.length - 1 };
}

function put(t: NameTable<string>, name: string, policy: number, value: string) {
  const { msg, start, length } = wire(name);
  t.set(NameTable.hash(msg, start, length, policy), msg, start, length, policy, value);
}

function get(t: NameTable<string>, name: string, policy = 0) {
  const { msg, start, length } = wire(name);
  return t.get(NameTable.hash(msg, start, length, policy), msg, start, length, policy);
}

describe('name table', () => {
  it('finds a name by its bytes in any case, per policy', () => {
    const t = new NameTable<string>(8);
    put(t, 'www.example.test', 0, 'a');
    put(t, 'www.example.test', 1, 'b');
    expect(get(t, 'WWW.Example.TEST')).toBe('a');
    expect(get(t, 'www.example.test', 1)).toBe('b');
    expect(get(t, 'ww.example.test')).toBeUndefined();
    expect(get(t, 'www.example.tests')).toBeUndefined();
    put(t, 'www.example.test', 0, 'c');
    expect(get(t, 'www.example.test')).toBe('c');
    expect(t.size).toBe(2);
  });

  it('is cleared whole when full, and keeps no name longer than 64 bytes', () => {
    const t = new NameTable<string>(4);
    for (let i = 0; i < 4; i++) put(t, `n${i}.test`, 0, String(i));
    expect(get(t, 'n3.test')).toBe('3');
    put(t, 'n4.test', 0, '4');
    expect(t.size).toBe(1);
    expect(get(t, 'n0.test')).toBeUndefined();
    expect(get(t, 'n4.test')).toBe('4');
    put(t, `${'x'.repeat(60)}.test`, 0, 'long');
    expect(get(t, `${'x'.repeat(60)}.test`)).toBeUndefined();
  });
});
