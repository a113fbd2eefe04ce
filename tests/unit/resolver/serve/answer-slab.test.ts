import { describe, expect, it } from 'vitest';
import { AnswerSlab } from '../../../../resolver/serve/answer-slab.js';

describe('answer slab', () => {
  it('copies answers into chunks of its own, none overlapping, large ones apart', () => {
    const slab = new AnswerSlab();
    const copies = Array.from({ length: 2000 }, (_, i) => {
      const bytes = Buffer.alloc(40 + (i % 60), i % 251);
      const copy = slab.copy(bytes);
      expect(copy.equals(bytes)).toBe(true);
      expect(copy.buffer).not.toBe(bytes.buffer);
      return { copy, fill: i % 251 };
    });
    // Every copy still holds its own bytes after all the others were written.
    for (const { copy, fill } of copies) expect(copy.every((b) => b === fill)).toBe(true);
    const chunks = new Set(copies.map(({ copy }) => copy.buffer));
    expect(chunks.size).toBeGreaterThan(1);
    expect(chunks.size).toBeLessThan(10);
    for (const chunk of chunks) expect(chunk.byteLength).toBe(65_536);
    const large = slab.copy(Buffer.alloc(10_000, 7));
    expect(large.buffer.byteLength).toBe(10_000);
  });
});
