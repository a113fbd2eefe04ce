import dnsPacket from 'dns-packet';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nameToWire, readName, skipName } from '../../../../resolver/dns/name.js';
import { WireError } from '../../../../resolver/dns/wire-error.js';

describe('names on the wire', () => {
  it('reads compressed names as dns-packet wrote them, lower-cased', () => {
    const msg = dnsPacket.encode({
      type: 'response',
      id: 1,
      questions: [{ name: 'WWW.Example.test', type: 'A', class: 'IN' }],
      answers: [{ type: 'CNAME', name: 'WWW.Example.test', ttl: 1, data: 'cdn.example.test' }],
    });
    expect(readName(msg, 12)).toEqual({ name: 'www.example.test', end: 30 });
    const owner = readName(msg, 34); // after the question's type and class
    expect(owner.name).toBe('www.example.test');
    expect(readName(msg, owner.end + 10).name).toBe('cdn.example.test');
    expect(skipName(msg, 34)).toBe(owner.end);
  });

  it('refuses loops, forward pointers, long names and names past the end, as WireError', () => {
    const loop = Buffer.from([...new Array(12).fill(0), 0xc0, 12]);
    expect(() => readName(loop, 12)).toThrow(WireError);
    expect(() => readName(Buffer.from([...new Array(12).fill(0), 0xc0, 20]), 12)).toThrow(
      'bad compression pointer',
    );
    const long = Buffer.from([
      ...Array.from({ length: 5 }, () => [63, ...new Array(63).fill(97)]).flat(),
      0,
    ]);
    expect(() => readName(long, 0)).toThrow('name longer than 255 bytes');
    expect(() => readName(Buffer.from([3, 97, 98]), 0)).toThrow('label runs past the end');
    expect(skipName(Buffer.from([3, 97, 98]), 0)).toBe(-1);
  });

  it('writes names dns-packet reads back, and refuses bad labels', () => {
    fc.assert(
      fc.property(fc.array(fc.stringMatching(/^[a-z0-9-]{1,63}$/), { maxLength: 3 }), (labels) => {
        const name = labels.join('.');
        const wire = nameToWire(name);
        expect(readName(wire, 0)).toEqual({ name, end: wire.length });
      }),
    );
    expect(nameToWire('Example.TEST.')).toEqual(nameToWire('example.test'));
    expect(() => nameToWire('a..b')).toThrow('bad label in "a..b"');
    expect(() => nameToWire(`${'a'.repeat(64)}.test`)).toThrow(/bad label/);
  });
});
