import * as packet from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { TYPE } from '../../../../resolver/dns/codes.js';
import { diffSorted, diffZones, ZoneHistory } from '../../../../resolver/rpz/history.js';
import { serialNewer } from '../../../../resolver/rpz/serial.js';
import {
  axfrItems,
  ixfrItems,
  MESSAGE_BYTES,
  transferMessages,
} from '../../../../resolver/rpz/transfer.js';
import { buildRpzZone, RpzError, type RpzZone } from '../../../../resolver/rpz/zone.js';
import { loadedFromSource } from '../../../helpers/bundles.js';
import { generateDomains } from '../../../helpers/generated-list.js';

const ORIGIN = 'rpz.kalkan.test';

async function zone(sequence: number, source: string): Promise<RpzZone> {
  return buildRpzZone(
    await loadedFromSource(source, 'list.txt', { meta: { sequence }, plaintext: true }),
    ORIGIN,
  );
}

function decodeAll(messages: Iterable<Buffer>) {
  return [...messages].flatMap((m) => {
    expect(m.length).toBeLessThanOrEqual(MESSAGE_BYTES);
    return packet.decode(m).answers ?? [];
  });
}

const show = (a: packet.Answer) =>
  a.type === 'SOA'
    ? `SOA ${a.data.serial}`
    : a.type === 'OPT'
      ? 'OPT'
      : `${a.name} ${a.type} ${String(a.data) || '.'}`;

describe('diffs between list versions', () => {
  it('diffs a zone with exact names record by record: an exact allow turns one record', async () => {
    const before = await zone(1, '[Adblock Plus 2.0]\n||p.test^\n|e.test^\n');
    const after = await zone(2, '[Adblock Plus 2.0]\n||p.test^\n@@|p.test^\n|f.test^\n');
    const diff = diffZones(before, after);
    const text = (records: { name: string; target: string }[]) =>
      records.map((r) => `${r.name} ${r.target}`).sort();
    expect(text(diff.removed)).toEqual(['e.test .', 'p.test .']);
    expect(text(diff.added)).toEqual(['f.test .', 'p.test rpz-passthru.']);
    expect(after.recordCount).toBe(3);
  });

  it('finds removed and added names with a linear merge', () => {
    expect(diffSorted(['a.test', 'b.test', 'd.test'], ['b.test', 'c.test', 'e.test'])).toEqual({
      removed: ['a.test', 'd.test'],
      added: ['c.test', 'e.test'],
    });
    // Bundle order puts `a.b-c` before `a.b` (it sorts `host/`); unsorted input is sorted first.
    expect(diffSorted(['a.b-c.test', 'a.b.test'], ['a.b.test'])).toEqual({
      removed: ['a.b-c.test'],
      added: [],
    });
    expect(diffSorted(['z.test', 'a.test'], ['a.test'])).toEqual({
      removed: ['z.test'],
      added: [],
    });
  });

  it('applies to the zone the next version builds when a name turns from blocked to allowed', async () => {
    const v1 = await zone(1, '||p.test^\n||a.b.p.test^\n||both.test^\n');
    const v2 = await zone(2, '||p.test^\n@@||a.b.p.test^\n||both.test^\n@@||both.test^\n');
    const key = (r: { name: string; target: string }) => `${r.name} ${r.target}`;
    const applied = new Set(v1.records.map(key));
    const diff = diffZones(v1, v2);
    for (const r of diff.removed) expect(applied.delete(key(r)), key(r)).toBe(true);
    for (const r of diff.added) applied.add(key(r));
    expect([...applied].sort()).toEqual(v2.records.map(key).sort());
    // One CNAME per owner, and b.p.test named so BIND's wildcard rules still block it.
    const owners = v2.records.map((r) => r.name);
    expect(new Set(owners).size).toBe(owners.length);
    expect(applied).toContain('b.p.test .');
    expect(applied).toContain('*.b.p.test .');
    expect(applied).toContain('both.test rpz-passthru.');
  });

  it('turns list changes into the RPZ records that changed, allow entries included', async () => {
    const v1 = await zone(1, '||gone.test^\n||kept.test^\n@@||ok.kept.test^\n');
    const v2 = await zone(2, '||kept.test^\n||new.test^\n');
    const diff = diffZones(v1, v2);
    expect(diff).toMatchObject({ from: 1, to: 2 });
    expect(diff.removed).toEqual([
      { name: 'gone.test', target: '.' },
      { name: '*.gone.test', target: '.' },
      { name: 'ok.kept.test', target: 'rpz-passthru.' },
      { name: '*.ok.kept.test', target: 'rpz-passthru.' },
    ]);
    expect(diff.added).toEqual([
      { name: 'new.test', target: '.' },
      { name: '*.new.test', target: '.' },
    ]);
  });

  it('finds a 1,000-entry change in an unsorted 100,000-entry list', async () => {
    const names = generateDomains(101_000, 7);
    const before = names.slice(0, 100_000);
    const after = names.slice(1_000, 101_000);
    const diff = diffSorted(before, after);
    expect(diff.removed).toHaveLength(1_000);
    expect(diff.added).toHaveLength(1_000);
    expect(new Set(diff.removed)).toEqual(new Set(names.slice(0, 1_000)));
  });
});

describe('IXFR history', () => {
  const d = (from: number, to: number) => ({ from, to, removed: [], added: [] });

  it('chains diffs from a known serial to the current one', () => {
    const h = new ZoneHistory();
    h.push(d(1, 2));
    h.push(d(2, 5));
    h.push(d(5, 6));
    expect(h.chain(2, 6)?.map((x) => x.from)).toEqual([2, 5]);
    expect(h.chain(1, 6)).toHaveLength(3);
    expect(h.chain(3, 6)).toBeUndefined();
    expect(h.chain(6, 6)).toBeUndefined();
  });

  it('forgets the oldest diffs past its bounds', () => {
    const h = new ZoneHistory(2);
    for (let i = 1; i <= 4; i++) h.push(d(i, i + 1));
    expect(h.length).toBe(2);
    expect(h.chain(1, 5)).toBeUndefined();
    expect(h.chain(3, 5)).toHaveLength(2);
    const bySize = new ZoneHistory(10, 3);
    bySize.push({ from: 1, to: 2, removed: [{ name: 'a', target: '.' }], added: [] });
    bySize.push({
      from: 2,
      to: 3,
      removed: [],
      added: [
        { name: 'b', target: '.' },
        { name: 'c', target: '.' },
        { name: 'd', target: '.' },
      ],
    });
    expect(bySize.chain(1, 3)).toBeUndefined();
    expect(bySize.chain(2, 3)).toHaveLength(1);
  });

  it('compares serials with RFC 1982 arithmetic', () => {
    expect(serialNewer(2, 1)).toBe(true);
    expect(serialNewer(1, 2)).toBe(false);
    expect(serialNewer(1, 1)).toBe(false);
    expect(serialNewer(0, 2 ** 32 - 1)).toBe(true);
    expect(serialNewer(2 ** 32 - 1, 0)).toBe(false);
  });
});

describe('transfer messages', () => {
  it('encode an AXFR that dns-packet reads back, SOA first and last', async () => {
    const z = await zone(3, '||one.test^\n||two.example^\n@@||ok.one.test^\n');
    const answers = decodeAll(transferMessages(z, 7, TYPE.AXFR, axfrItems(z)));
    expect(answers.map(show)).toEqual([
      'SOA 3',
      `${ORIGIN} NS localhost`,
      `one.test.${ORIGIN} CNAME .`,
      `*.one.test.${ORIGIN} CNAME .`,
      `two.example.${ORIGIN} CNAME .`,
      `*.two.example.${ORIGIN} CNAME .`,
      `ok.one.test.${ORIGIN} CNAME rpz-passthru`,
      `*.ok.one.test.${ORIGIN} CNAME rpz-passthru`,
      'SOA 3',
    ]);
  });

  it('split a large zone over many messages, every name intact', async () => {
    const names = generateDomains(5_000, 3);
    const z = await zone(1, `${names.join('\n')}\n`);
    const messages = [...transferMessages(z, 1, TYPE.AXFR, axfrItems(z))];
    expect(messages.length).toBeGreaterThan(5);
    const answers = decodeAll(messages);
    expect(answers).toHaveLength(2 + 2 * 5_000 + 1);
    const owners = new Set(answers.map((a) => a.name));
    for (const n of names) {
      expect(owners.has(`${n}.${ORIGIN}`)).toBe(true);
      expect(owners.has(`*.${n}.${ORIGIN}`)).toBe(true);
    }
    // Compression makes a listed name cost about its own length plus a few bytes per record.
    const bytes = messages.reduce((n, m) => n + m.length, 0);
    const nameBytes = names.reduce((n, s) => n + s.length, 0);
    expect(bytes).toBeLessThan(nameBytes + 5_000 * 32);
  });

  it('encode an IXFR as the RFC 1995 sequence of SOAs, deletions and additions', async () => {
    const v1 = await zone(1, 'a.test\nb.test\n');
    const v2 = await zone(2, 'b.test\nc.test\n');
    const v3 = await zone(4, 'c.test\n');
    const diffs = [diffZones(v1, v2), diffZones(v2, v3)];
    const answers = decodeAll(transferMessages(v3, 9, TYPE.IXFR, ixfrItems(v3, diffs)));
    expect(answers.map(show)).toEqual([
      'SOA 4',
      'SOA 1',
      `a.test.${ORIGIN} CNAME .`,
      `*.a.test.${ORIGIN} CNAME .`,
      'SOA 2',
      `c.test.${ORIGIN} CNAME .`,
      `*.c.test.${ORIGIN} CNAME .`,
      'SOA 2',
      `b.test.${ORIGIN} CNAME .`,
      `*.b.test.${ORIGIN} CNAME .`,
      'SOA 4',
      'SOA 4',
    ]);
  });
});

describe('zones from bundles', () => {
  it('refuse a hashed-only bundle with a clear message', async () => {
    const hashed = await loadedFromSource('x.test\n', 'l.txt', { plaintext: false });
    expect(() => buildRpzZone(hashed, ORIGIN)).toThrow(RpzError);
    expect(() => buildRpzZone(hashed, ORIGIN)).toThrow(/hashed-only.*--plaintext/s);
  });

  it('refuse a zone name that is not a DNS name', async () => {
    const list = await loadedFromSource('x.test\n', 'l.txt', { plaintext: true });
    expect(() => buildRpzZone(list, 'bad..zone')).toThrow(/not a valid DNS name/);
    expect(() => buildRpzZone(list, `${'a'.repeat(64)}.test`)).toThrow(RpzError);
  });

  it('leave out names too long to fit under the origin', async () => {
    const long = `${'a'.repeat(60)}.${'b'.repeat(60)}.${'c'.repeat(60)}.${'d'.repeat(50)}.test`;
    const z = await zone(1, `${long}\nshort.test\n`);
    expect(z.tooLong).toBe(1);
    expect(z.records.map((r) => r.name)).toEqual(['short.test', '*.short.test']);
  });
});
