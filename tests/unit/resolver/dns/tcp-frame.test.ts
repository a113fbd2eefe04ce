import { describe, expect, it } from 'vitest';
import { FrameReader, frame } from '../../../../resolver/dns/tcp-frame.js';

const message = (n: number, fill: number) => Buffer.alloc(n, fill);

describe('TCP framing (RFC 1035 §4.2.2)', () => {
  it('frames with a 2-byte length, and reads messages back however the stream is cut', () => {
    const messages = [message(12, 1), message(300, 2), message(65_535, 3)];
    const stream = Buffer.concat(messages.map(frame));
    for (const cut of [1, 2, 7, 1000, stream.length]) {
      const reader = new FrameReader();
      const got: Buffer[] = [];
      for (let i = 0; i < stream.length; i += cut) {
        reader.push(stream.subarray(i, i + cut));
        for (let m = reader.next(); m; m = reader.next()) got.push(Buffer.from(m));
      }
      expect(got, `chunks of ${cut}`).toEqual(messages);
      expect(reader.pending).toBe(0);
    }
  });

  it('says null for a frame shorter than a DNS header: the stream cannot be resynchronised', () => {
    const reader = new FrameReader();
    reader.push(Buffer.from([0, 5, 1, 2, 3, 4, 5]));
    expect(reader.next()).toBeNull();
    const waiting = new FrameReader();
    waiting.push(Buffer.from([0]));
    expect(waiting.next()).toBeUndefined();
  });
});
