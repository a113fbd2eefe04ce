import { describe, expect, it } from 'vitest';
import { AnswerSlab } from '../../../../resolver/serve/answer-slab.js';

describe('answer slab', () => {
  it('makes room in chunks of its own, none overlapping, large entries apart', () => {
    const slab = new AnswerSlab();
    const places = Array.from({ length: 2000 }, (_, i) => {
      const length = 40 + (i % 60);
      const start = slab.reserve(length);
      const memory = slab.memory;
      memory.fill(i % 251, start, start + length);
      return { memory, start, length, fill: i % 251 };
    });
    // Every place still holds its own bytes after all the others were written.
    for (const { memory, start, length, fill } of places)
      expect(memory.subarray(start, start + length).every((b) => b === fill)).toBe(true);
    const chunks = new Set(places.map(({ memory }) => memory));
    expect(chunks.size).toBeGreaterThan(1);
    expect(chunks.size).toBeLessThan(10);
    for (const chunk of chunks) expect(chunk.length).toBe(65_536);
    expect(slab.reserve(10_000)).toBe(0);
    expect(slab.memory.length).toBe(10_000);
    expect(chunks.has(slab.memory)).toBe(false);
  });
});
