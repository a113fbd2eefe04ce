import { spawnSync } from 'node:child_process';
import type { Server } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import {
  listenSecure,
  listenTcp,
  type TcpOptions,
} from '../../../../../resolver/serve/transport/tcp.js';

/**
 * Opens `count` TCP connections to PORT at once and prints how many connected within 800 ms:
 * less than a SYN's first retransmission (1 s), so a connection the listener's full accept queue
 * dropped does not count.
 */
const BURST = `
import { connect } from 'node:net';
const [port, count] = process.argv.slice(1).map(Number);
let connected = 0;
const sockets = Array.from({ length: count }, () => {
  const s = connect(port, '127.0.0.1', () => connected++);
  s.on('error', () => {});
  return s;
});
setTimeout(() => {
  console.log(connected);
  for (const s of sockets) s.destroy();
  process.exit(0);
}, 800);
`;

/** The burst while this process's event loop is blocked (spawnSync): nothing is accepted. */
function burstWhileBusy(server: Server, count: number): number {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const child = spawnSync(
    process.execPath,
    ['--input-type=module', '--eval', BURST, String(port), String(count)],
    { encoding: 'utf8' },
  );
  return Number(child.stdout.trim());
}

const options = (maxConnections: number): TcpOptions => ({
  accept: () => true,
  idleTimeoutMs: 10_000,
  maxConnections,
  maxInFlight: 16,
  maxPerClient: maxConnections,
  maxConnectionMs: 60_000,
});

describe('listen backlog', () => {
  const servers: Server[] = [];
  afterEach(() => {
    for (const s of servers.splice(0)) s.close();
  });

  it('a burst of tcp.maxConnections new connections waits in the accept queue, none dropped', async () => {
    const tcp = await listenTcp('127.0.0.1', 0, () => undefined, options(1500));
    const tls = await listenSecure(createTlsServer({}), '127.0.0.1', 0, options(1500));
    servers.push(tcp, tls);
    expect(burstWhileBusy(tcp, 1000)).toBe(1000);
    expect(burstWhileBusy(tls, 1000)).toBe(1000);
  });

  it('control: with Node’s default queue (511) the same burst loses connections', async () => {
    const tcp = await listenTcp('127.0.0.1', 0, () => undefined, options(100));
    servers.push(tcp);
    expect(burstWhileBusy(tcp, 1000)).toBeLessThan(1000);
  });
});
