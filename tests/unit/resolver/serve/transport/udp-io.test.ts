import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { listenUdp } from '../../../../../resolver/serve/transport/udp.js';
import { loadUdpBatchFrom } from '../../../../../resolver/serve/transport/udp-batch.js';
import { udpTransport } from '../../../../../resolver/serve/transport/udp-io.js';

/** A real pino logger whose lines are kept. */
function recorder() {
  const lines: { level: number; reason?: string; msg: string }[] = [];
  const log = pino(
    { base: null, timestamp: false },
    {
      write: (line: string) => {
        lines.push(JSON.parse(line));
      },
    },
  );
  return { lines, log };
}

describe('choosing the UDP transport', () => {
  it('an addon that is missing or is not the addon is an Error, never a throw', () => {
    expect(loadUdpBatchFrom(['./no-such-addon.node'])).toBeInstanceOf(Error);
    expect(loadUdpBatchFrom(['../../package.json'])).toBeInstanceOf(Error);
  });

  it('falls back to node:dgram with one line saying why; louder when batched was asked for', () => {
    const missing = () => new Error('addon not built');
    for (const [mode, level] of [
      ['auto', 30],
      ['batched', 40],
    ] as const) {
      const { lines, log } = recorder();
      expect(udpTransport(mode, log, false, missing)).toBe(listenUdp);
      expect(lines).toHaveLength(1);
      expect(lines[0]?.level).toBe(level);
      expect(lines[0]?.reason).toBe('addon not built');
    }
  });

  it('uses node:dgram when told to, without loading the addon', () => {
    const { lines, log } = recorder();
    const load = () => {
      throw new Error('must not be called');
    };
    expect(udpTransport('dgram', log, false, load)).toBe(listenUdp);
    expect(lines[0]?.msg).toBe('UDP: node:dgram');
  });
});
