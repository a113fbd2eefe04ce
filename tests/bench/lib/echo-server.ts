/**
 * The ceiling: a Node UDP server that answers each query with its own bytes, QR bit set. No DNS
 * server written in Node on this machine can answer faster than this.
 */
import { createSocket } from 'node:dgram';

const port = Number(process.argv[2]);
const socket = createSocket('udp4');
socket.on('message', (message, peer) => {
  if (message.length >= 12) message[2] = (message[2] as number) | 0x80;
  socket.send(message, peer.port, peer.address);
});
socket.bind(port, '127.0.0.1');
