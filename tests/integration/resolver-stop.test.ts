/**
 * A graceful stop with a forwarded query still in flight: the upstream's late answer arrives
 * after the UDP listener has closed (a TCP client held open keeps the stop going for a moment)
 * and must be dropped, not crash the process. With either UDP transport.
 */
import { createSocket, type Socket } from 'node:dgram';
import { connect } from 'node:net';
import dnsPacket from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/ports.js';
import { type Kalkan, startKalkan, tempDir, waitFor } from '../helpers/resolver.js';

const UPSTREAM_DELAY_MS = 300;

let tmp: Awaited<ReturnType<typeof tempDir>>;
let upstream: Socket;
let upstreamPort: number;
let received = 0;

beforeAll(async () => {
  tmp = await tempDir('kalkan-stop-');
  upstreamPort = await freePort();
  upstream = createSocket('udp4');
  // An upstream that answers every query (no records, NOERROR) after a delay.
  upstream.on('message', (query, peer) => {
    received++;
    const answer = Buffer.from(query);
    answer[2] = (answer[2] as number) | 0x80;
    setTimeout(() => upstream.send(answer, peer.port, peer.address), UPSTREAM_DELAY_MS);
  });
  await new Promise<void>((r) => upstream.bind(upstreamPort, '127.0.0.1', r));
});

afterAll(async () => {
  upstream.close();
  await tmp.remove();
});

describe.each(['dgram', 'batched'])('stopping with a query in flight (udpIo: %s)', (udpIo) => {
  let kalkan: Kalkan | undefined;

  afterAll(() => kalkan?.stop());

  it('drops the late upstream answer and exits 0', async () => {
    kalkan = await startKalkan(tmp.dir, {
      upstreams: [`127.0.0.1:${upstreamPort}`],
      udpIo,
    });
    const server = kalkan;
    const tcpClient = connect(server.port, '127.0.0.1');
    await new Promise<void>((r) => tcpClient.once('connect', () => r()));
    const client = createSocket('udp4');
    const before = received;
    const query = dnsPacket.encode({
      type: 'query',
      id: 4242,
      flags: dnsPacket.RECURSION_DESIRED,
      questions: [{ type: 'A', name: `late-${udpIo}.allowed.example` }],
    });
    client.send(query, server.port, '127.0.0.1');
    await waitFor(async () => received > before);

    const exited = new Promise<number | null>((r) => server.child.once('exit', (code) => r(code)));
    server.child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(server.stderr()).not.toMatch(/ERR_SOCKET|Error/);
    expect(server.stdout()).toContain('"msg":"stopped"');
    client.close();
    tcpClient.destroy();
  });
});
