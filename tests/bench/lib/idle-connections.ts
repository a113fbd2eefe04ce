/**
 * Idle encrypted-DNS connections, for what each one costs a server: DoT connections with the
 * TLS handshake done, or DoH connections with HTTP/2 started (the server's SETTINGS read), then
 * nothing sent. Opened a batch at a time; `close` ends them all.
 */
import { connect as connectHttp2 } from 'node:http2';
import { connect as connectTls } from 'node:tls';

export interface IdleConnections {
  /** How many are still open (the server has closed none of them). */
  open(): number;
  close(): void;
}

interface Connection {
  closed(): boolean;
  close(): void;
}

const BATCH = 50;

export async function openIdle(
  mode: 'dot' | 'doh',
  port: number,
  count: number,
  servername: string,
): Promise<IdleConnections> {
  const connections: Connection[] = [];
  const close = () => {
    for (const c of connections) c.close();
  };
  try {
    for (let opened = 0; opened < count; opened += BATCH) {
      const batch = Array.from({ length: Math.min(BATCH, count - opened) }, () =>
        mode === 'dot' ? dot(port, servername) : doh(port, servername),
      );
      for (const c of await Promise.all(batch)) connections.push(c);
    }
  } catch (error) {
    close();
    throw error;
  }
  return { open: () => connections.filter((c) => !c.closed()).length, close };
}

function dot(port: number, servername: string): Promise<Connection> {
  return new Promise((resolve, reject) => {
    const socket = connectTls(
      { host: '127.0.0.1', port, servername, rejectUnauthorized: false, ALPNProtocols: ['dot'] },
      () => resolve({ closed: () => socket.closed, close: () => socket.destroy() }),
    );
    socket.once('error', reject);
    socket.on('error', () => {}); // a close by the server shows in closed()
  });
}

function doh(port: number, servername: string): Promise<Connection> {
  return new Promise((resolve, reject) => {
    const session = connectHttp2(`https://127.0.0.1:${port}`, {
      servername,
      rejectUnauthorized: false,
    });
    session.once('remoteSettings', () =>
      resolve({ closed: () => session.closed, close: () => session.destroy() }),
    );
    session.once('error', reject);
    session.on('error', () => {});
  });
}
