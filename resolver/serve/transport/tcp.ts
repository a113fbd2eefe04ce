/**
 * DNS over TCP (RFC 7766) on one address: several queries per connection, pipelined and
 * answered as they complete (out of order is allowed), 2-byte length framing. Bounded: a
 * connection that completes no query within the idle timeout is closed (slow-loris), at most
 * `maxInFlight` queries per connection are worked on at once (reading pauses beyond that), a
 * client that does not read its answers is dropped, and the connection count is capped, in
 * all and per client address (so one client cannot take the others' slots). However busy, a
 * connection is closed after `maxConnectionMs`: a query every few seconds cannot hold it forever.
 * The same connection handling serves DNS over TLS (tls.ts) once the handshake is done.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { FrameReader, frame } from '../../dns/tcp-frame.js';
import type { Transport } from '../context.js';
import type { Handler } from '../handler.js';
import { isProxyHeader, type ProxyGate } from './proxy.js';

export interface TcpOptions {
  /** Clients allowed to hold a connection at all (the ACL); others are closed at once. */
  accept: (address: string) => boolean;
  idleTimeoutMs: number;
  maxConnections: number;
  maxInFlight: number;
  maxPerClient: number;
  maxConnectionMs: number;
  /** PROXY v2 from the configured load balancers (none: every header is refused). */
  proxy?: ProxyGate;
}

const MAX_UNREAD_OUTPUT = 1024 * 1024;

export function listenTcp(
  host: string,
  port: number,
  handle: Handler,
  options: TcpOptions,
): Promise<Server> {
  const admit = admission(options);
  const server = createServer({ noDelay: true }, (socket) => {
    if (!options.proxy) {
      const client = admit.now(socket);
      if (client !== undefined) serveConnection(socket, client, handle, options, 'tcp');
      return;
    }
    void admit.later(socket).then((client) => {
      if (client !== undefined) serveConnection(socket, client, handle, options, 'tcp');
    });
  });
  server.maxConnections = options.maxConnections;
  return listenOn(server, host, port, options.maxConnections);
}

/** Node's own listen backlog. */
const DEFAULT_BACKLOG = 511;

/**
 * Starts `server` listening; rejects with the bind error. The accept queue holds as many
 * connections as may be open at once (at least Node's 511; the kernel caps it at
 * net.core.somaxconn): a burst of new connections, such as every client reconnecting after a
 * restart, waits there while TLS handshakes are worked through, instead of overflowing the
 * queue and being dropped (a dropped connection is retried by its client a second or more later).
 */
export function listenOn<S extends Server>(
  server: S,
  host: string,
  port: number,
  maxConnections: number,
): Promise<S> {
  const backlog = Math.max(DEFAULT_BACKLOG, maxConnections);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port, backlog, ipv6Only: host.includes(':') }, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

export interface Admission {
  /** Without PROXY protocol: the client, or undefined when the connection was closed. */
  now(socket: Socket): string | undefined;
  /** With PROXY protocol: the same once a balancer's header is read. */
  later(socket: Socket): Promise<string | undefined>;
}

/**
 * What every stream listener does with a new connection before any DNS: the PROXY header
 * read from a balancer (the real client found), the ACL, the per-client cap. The client, or
 * undefined when the connection was closed instead.
 */
export function admission(options: TcpOptions): Admission {
  const perClient = new Map<string, number>();
  const limit = (socket: Socket, client: string): string | undefined => {
    // A connection slot is worth more than a REFUSED to someone not allowed.
    if (!options.accept(client)) {
      socket.destroy();
      return undefined;
    }
    // A balancer keeps idle connections for later clients: it enforces its own per-client cap.
    if (client !== socket.remoteAddress) return client;
    const held = perClient.get(client) ?? 0;
    if (held >= options.maxPerClient) {
      socket.destroy();
      return undefined;
    }
    perClient.set(client, held + 1);
    socket.once('close', () => {
      const n = (perClient.get(client) ?? 1) - 1;
      if (n > 0) perClient.set(client, n);
      else perClient.delete(client);
    });
    return client;
  };
  return {
    now(socket) {
      socket.on('error', () => {});
      return limit(socket, socket.remoteAddress ?? '');
    },
    async later(socket) {
      socket.on('error', () => {});
      const client = options.proxy ? await options.proxy.admit(socket) : socket.remoteAddress;
      return client === undefined ? undefined : limit(socket, client);
    },
  };
}

/**
 * Starts a TLS-based listener (`secure`: a tls or http2 server) on HOST:PORT. Without PROXY
 * protocol it listens itself and admits each connection as it comes; with it, a plain TCP
 * listener reads the balancers' headers first and hands each admitted connection on.
 */
export function listenSecure<S extends Server>(
  secure: S,
  host: string,
  port: number,
  options: TcpOptions,
): Promise<Server> {
  const admit = admission(options);
  if (!options.proxy) {
    // Before the TLS listener's own: a refused socket is destroyed before any handshake.
    secure.prependListener('connection', (socket: Socket) => void admit.now(socket));
    secure.maxConnections = options.maxConnections;
    return listenOn(secure, host, port, options.maxConnections);
  }
  const server = createServer({ noDelay: true }, (socket) => {
    void admit.later(socket).then((client) => {
      if (client !== undefined) secure.emit('connection', socket);
    });
  });
  server.maxConnections = options.maxConnections;
  return listenOn(server, host, port, options.maxConnections);
}

/** Serves DNS messages on an admitted stream (TCP, or TLS after its handshake). */
export function serveConnection(
  socket: Socket,
  client: string,
  handle: Handler,
  options: TcpOptions,
  transport: Transport,
  device?: string,
): void {
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
      const answer = handle(msg, client, transport, device);
      if (answer === undefined) continue;
      if (answer instanceof Uint8Array) send(answer);
      else {
        inFlight++;
        answer.then(send, () => {}).finally(done);
      }
    }
    if (inFlight >= options.maxInFlight) socket.pause();
  };
  let first = true;
  socket.on('data', (chunk: Buffer) => {
    if (ended) return;
    // A PROXY header here comes from someone who is not a configured balancer: refused.
    if (first && isProxyHeader(chunk)) return socket.destroy();
    first = false;
    frames.push(chunk);
    drain();
  });
  socket.resume(); // an admitted connection may have been paused while its PROXY header was read
  // The client is done sending: answer what is in flight, then close our side.
  socket.on('end', () => {
    ended = true;
    if (inFlight === 0) socket.end();
  });
}
