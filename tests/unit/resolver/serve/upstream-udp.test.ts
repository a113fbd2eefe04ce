import { describe, expect, it } from 'vitest';
import { randomizeCase, sameQuestion } from '../../../../resolver/serve/upstream-udp.js';

/** A name's wire form with its letters' case kept (nameToWire lower-cases). */
function caseKeptName(name: string): Buffer {
  const labels = name
    .split('.')
    .map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)]));
  return Buffer.concat([...labels, Buffer.from([0])]);
}

/** A header and the question `name A IN`, as the forwarder builds it (OPT left out). */
function packet(name: string): Buffer {
  const question = Buffer.concat([caseKeptName(name), Buffer.from([0, 1, 0, 1])]);
  return Buffer.concat([Buffer.from([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]), question]);
}

describe('0x20', () => {
  it('flips only letters, at random, and keeps label lengths', () => {
    const original = packet('www.example-123.test');
    const mixed = Buffer.from(original);
    let bits = 0b1010_1010_1010_1010;
    randomizeCase(mixed, mixed.length - 4, () => bits++);
    expect(mixed.toString('latin1').toLowerCase()).toBe(original.toString('latin1').toLowerCase());
    expect(mixed.equals(original)).toBe(false);
    // Length bytes and digits are the same bytes.
    for (const i of [12, 16, 24, 25, 26]) expect(mixed[i]).toBe(original[i]);
  });

  it('takes an answer only with the exact case when 0x20 is on', () => {
    const sent = packet('WwW.eXample.test');
    const question = sent.subarray(12);
    const echoed = Buffer.from(sent);
    const lowered = packet('www.example.test');
    expect(sameQuestion(echoed, question, true)).toBe(true);
    expect(sameQuestion(lowered, question, true)).toBe(false);
    expect(sameQuestion(lowered, question, false)).toBe(true);
  });
});
