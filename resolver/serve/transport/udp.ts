/** DNS over UDP on one address with node:dgram: one datagram in, at most one out; the fast path first. */
import { createSocket } from 'node:dgram';
import type { FastPath } from '../fast-path.js';
import type { Handler } from '../handler.js';

const RECEIVE_BUFFER = 4 * 1024 * 1024;

/** A UDP listener, whichever way it reads and writes datagrams. */
export interface UdpListener {
  /** The bound port (the one asked for, or the one the OS picked for 0). */
  readonly port: number;
  close(): Promise<void>;
}

export function listenUdp(
  host: string,
  port: number,
  handle: Handler,
  fast?: FastPath,
): Promise<UdpListener> {
  const socket = host.includes(':')
    ? createSocket({ type: 'udp6', ipv6Only: true })
    : createSocket({ type: 'udp4' });
  // An answer that comes back from upstream after close has no socket to go out on: dropped.
  let closed = false;
  socket.on('message', (msg, rinfo) => {
    const quick = fast?.answer(msg, rinfo.address);
    if (quick !== undefined) {
      socket.send(quick, rinfo.port, rinfo.address);
      return;
    }
    const answer = handle(msg, rinfo.address, 'udp');
    if (answer === undefined) return;
    if (answer instanceof Uint8Array) socket.send(answer, rinfo.port, rinfo.address);
    else
      answer.then(
        (bytes) => {
          if (!closed) socket.send(bytes, rinfo.port, rinfo.address);
        },
        () => {},
      );
  });
  socket.on('error', () => {}); // e.g. sending to a client that has gone: nothing to do
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, host, () => {
      socket.off('error', reject);
      try {
        socket.setRecvBufferSize(RECEIVE_BUFFER);
        socket.setSendBufferSize(RECEIVE_BUFFER);
      } catch {
        // the OS may cap buffer sizes; the defaults still work
      }
      resolve({
        port: socket.address().port,
        close: () => {
          closed = true;
          return new Promise<void>((done) => socket.close(() => done()));
        },
      });
    });
  });
}
