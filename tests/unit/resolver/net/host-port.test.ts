import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  formatHostPort,
  formatUpstream,
  parseHostPort,
  parseUpstream,
} from '../../../../resolver/net/host-port.js';

describe('HOST:PORT', () => {
  it('reads names, IPv4 and bracketed IPv6 with a port from 1 to 65535', () => {
    expect(parseHostPort('127.0.0.1:53')).toEqual({ host: '127.0.0.1', port: 53 });
    expect(parseHostPort('[::1]:5353')).toEqual({ host: '::1', port: 5353 });
    expect(parseHostPort('[::ffff:192.0.2.1]:1')).toEqual({ host: '::ffff:192.0.2.1', port: 1 });
    expect(parseHostPort('localhost:65535')).toEqual({ host: 'localhost', port: 65535 });
  });

  it('says what is wrong', () => {
    expect(() => parseHostPort('127.0.0.1')).toThrow('"127.0.0.1" has no :PORT');
    expect(() => parseHostPort('127.0.0.1:0')).toThrow(
      'port "0" in "127.0.0.1:0" is not a number from 1 to 65535',
    );
    expect(() => parseHostPort('127.0.0.1:65536')).toThrow(/is not a number from 1 to 65535/);
    expect(() => parseHostPort('127.0.0.1:53x')).toThrow(/port "53x"/);
    expect(() => parseHostPort('::1:53')).toThrow(/expected HOST:PORT \(IPv6 as \[ADDR\]:PORT\)/);
    expect(() => parseHostPort('[host]:53')).toThrow('"host" in brackets is not an IPv6 address');
    expect(() => parseHostPort('')).toThrow(/expected HOST:PORT/);
  });

  it('formats what it parses, and parses what it formats', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.ipV4(), fc.ipV6()),
        fc.integer({ min: 1, max: 65_535 }),
        (host, port) => {
          expect(parseHostPort(formatHostPort({ host, port }))).toEqual({ host, port });
        },
      ),
    );
  });

  it('reads upstreams: IP only, udp:// or tcp://, port 53 by default', () => {
    expect(parseUpstream('192.0.2.1')).toEqual({ host: '192.0.2.1', port: 53, protocol: 'udp' });
    expect(parseUpstream('tcp://[2001:db8::1]:853')).toEqual({
      host: '2001:db8::1',
      port: 853,
      protocol: 'tcp',
    });
    expect(formatUpstream(parseUpstream('tcp://[::1]:53'))).toBe('tcp://[::1]:53');
    expect(() => parseUpstream('dns.example')).toThrow(
      'upstream must be an IP address, got "dns.example"',
    );
  });
});
