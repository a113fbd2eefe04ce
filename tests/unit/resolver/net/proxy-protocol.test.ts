import { describe, expect, it } from 'vitest';
import { readProxyHeader } from '../../../../resolver/net/proxy-protocol.js';

const SIGNATURE = '0d0a0d0a000d0a515549540a';

function header(command: number, family: number, body: string): Buffer {
  const bytes = Buffer.from(body, 'hex');
  const out = Buffer.alloc(16);
  Buffer.from(SIGNATURE, 'hex').copy(out);
  out[12] = 0x20 | command;
  out[13] = family;
  out.writeUInt16BE(bytes.length, 14);
  return Buffer.concat([out, bytes]);
}

describe('PROXY protocol v2 header', () => {
  it('reads an IPv4 source (TCP and UDP) and its length, TLVs after the addresses included', () => {
    const v4 = header(1, 0x12, 'c0000201' + '7f000001' + '9c40' + '0035' + '0300040000abcd');
    expect(readProxyHeader(Buffer.concat([v4, Buffer.from([0xaa])]))).toEqual({
      kind: 'header',
      length: v4.length,
      source: '192.0.2.1',
    });
    expect(readProxyHeader(header(1, 0x11, 'c0000202' + '7f000001' + '9c400035'))).toMatchObject({
      source: '192.0.2.2',
    });
  });

  it('reads an IPv6 source in the form node:net reports', () => {
    const src = '20010db8000000000000000000000001';
    const dst = `${'0'.repeat(31)}1`;
    const h = header(1, 0x21, `${src}${dst}9c400035`);
    expect(readProxyHeader(h)).toMatchObject({ kind: 'header', source: '2001:db8::1' });
  });

  it('LOCAL (a health check) names no client', () => {
    expect(readProxyHeader(header(0, 0, ''))).toEqual({
      kind: 'header',
      length: 16,
      source: undefined,
    });
  });

  it('waits for more bytes, and refuses what is not a v2 header', () => {
    const h = header(1, 0x11, 'c0000201' + '7f000001' + '9c400035');
    expect(readProxyHeader(h.subarray(0, 10))).toEqual({ kind: 'incomplete' });
    expect(readProxyHeader(h.subarray(0, 20))).toEqual({ kind: 'incomplete' });
    expect(readProxyHeader(Buffer.from('PROXY TCP4 192.0.2.1 127.0.0.1 1 2\r\n'))).toMatchObject({
      kind: 'invalid',
    });
    const v1 = Buffer.from(h);
    v1[12] = 0x11;
    expect(readProxyHeader(v1)).toMatchObject({ kind: 'invalid', reason: /version 1/ });
    expect(readProxyHeader(header(1, 0x11, 'c000'))).toMatchObject({ kind: 'invalid' });
  });
});
