/**
 * DNS over TCP (RFC 7766) on one address: several queries per connection, pipelined and
 * answered as they complete (out of order is allowed), 2-byte length framing. Bounded: a
 * connection that completes no query within the idle timeout is closed (slow-loris), at most
 * `maxInFlight` queries per connection are worked on at once (reading pauses beyond that), a
 * client that does not read its answers is dropped, and the connection count is capped, in
 * all and per client address (so one client cannot take the others' slots). However busy, a
 * connection is closed after `maxConnectionMs`: a query every few seconds cannot hold it forever.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { FrameReader, frame } from '../../dns/tcp-frame.js';
import type { Handler } from '../handler.js';

export interface TcpOptions {
  /** Clients allowed to hold a connection at all (the ACL); others are closed at once. */
  accept: (address: string) => boolean;
  idleTimeoutMs: number;
  maxConnections: number;
  maxInFlight: number;
  maxPerClient: number;
  maxConnectionMs: number;
}

const MAX_UNREAD_OUTPUT = 1024 * 1024;

export function listenTcp(
  host: string,
  port: number,
  handle: Handler,
  options: TcpOptions,
): Promise<Server> {
  const perClient = new Map<string, number>();
  const server = createServer({ noDelay: true }, (socket) => {
    const client = socket.remoteAddress ?? '';
    const held = perClient.get(client) ?? 0;
    if (held >= options.maxPerClient) {
      socket.destroy();
      return;
    }
    perClient.set(client, held + 1);
    socket.once('close', () => {
      const n = (perClient.get(client) ?? 1) - 1;
      if (n > 0) perClient.set(client, n);
      else perClient.delete(client);
    });
    serveConnection(socket, handle, options);
  });
  server.maxConnections = options.maxConnections;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port, ipv6Only: host.includes(':') }, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

function serveConnection(socket: Socket, handle: Handler, options: TcpOptions): void {
  const client = socket.remoteAddress ?? '';
  if (!options.accept(client)) {
    socket.destroy(); // a connection slot is worth more than a REFUSED to someone not allowed
    return;
  }
  let frames = new FrameReader();
  let inFlight = 0;
  let ended = false;
  let idle: NodeJS.Timeout | undefined;
  const armIdle = () => {
    clearTimeout(idle);
    idle = setTimeout(() => socket.destroy(), options.idleTimeoutMs);
  };
  armIdle();
  // At the end of its life the connection takes no new query, answers those in flight, closes.
  const lifetime = setTimeout(() => {
    ended = true;
    frames = new FrameReader(); // queries not yet started are dropped with the connection
    if (inFlight === 0) socket.end();
    setTimeout(() => socket.destroy(), options.idleTimeoutMs).unref();
  }, options.maxConnectionMs);
  socket.on('error', () => {});
  socket.on('close', () => {
    clearTimeout(idle);
    clearTimeout(lifetime);
  });

  const send = (answer: Uint8Array) => {
    if (socket.destroyed) return;
    socket.write(frame(answer));
    if (socket.writableLength > MAX_UNREAD_OUTPUT) socket.destroy();
  };
  const done = () => {
    inFlight--;
    armIdle();
    if (ended && inFlight === 0) socket.end();
    if (inFlight < options.maxInFlight && socket.isPaused()) {
      socket.resume();
      drain();
    }
  };
  const drain = () => {
    while (inFlight < options.maxInFlight) {
      const msg = frames.next();
      if (msg === undefined) return;
      if (msg === null) {
        socket.destroy(); // not a DNS message: no way to resynchronise the stream
        return;
      }
      armIdle();
      const answer = handle(msg, client, 'tcp');
      if (answer === undefined) continue;
      if (answer instanceof Uint8Array) send(answer);
      else {
        inFlight++;
        answer.then(send, () => {}).finally(done);
      }
    }
    if (inFlight >= options.maxInFlight) socket.pause();
  };
  socket.on('data', (chunk: Buffer) => {
    if (ended) return;
    frames.push(chunk);
    drain();
  });
  // The client is done sending: answer what is in flight, then close our side.
  socket.on('end', () => {
    ended = true;
    if (inFlight === 0) socket.end();
  });
}
