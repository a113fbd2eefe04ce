/** DNS over UDP on one address: one datagram in, at most one out; the fast path first. */
import { createSocket, type Socket } from 'node:dgram';
import type { FastPath } from '../fast-path.js';
import type { Handler } from '../handler.js';

const RECEIVE_BUFFER = 4 * 1024 * 1024;

export function listenUdp(
  host: string,
  port: number,
  handle: Handler,
  fast?: FastPath,
): Promise<Socket> {
  const socket = host.includes(':')
    ? createSocket({ type: 'udp6', ipv6Only: true })
    : createSocket({ type: 'udp4' });
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
        (bytes) => socket.send(bytes, rinfo.port, rinfo.address),
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
      resolve(socket);
    });
  });
}
