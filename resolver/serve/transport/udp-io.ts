/**
 * Which UDP transport `kalkan serve` uses (config `udpIo`): `batched` reads and answers
 * datagrams in batches through the native addon (Linux, built by `npm run build`), `dgram` is
 * node:dgram, `auto` is batched when the addon loads. Nothing here ever fails for want of the
 * addon: it falls back to node:dgram and says so once in the log.
 */
import { isIP } from 'node:net';
import type { Logger } from 'pino';
import type { FastPath } from '../fast-path.js';
import type { Handler } from '../handler.js';
import { listenUdp, type UdpListener } from './udp.js';
import { listenUdpBatched, loadUdpBatch, type UdpBatchAddon } from './udp-batch.js';

export type UdpIo = 'auto' | 'batched' | 'dgram';

export type ListenUdp = (
  host: string,
  port: number,
  handle: Handler,
  fast?: FastPath,
) => Promise<UdpListener>;

/**
 * The listen function for `mode`. `reusePort`: this process is one of several cluster workers,
 * each with its own batched socket on the same address (node:dgram shares one instead).
 */
export function udpTransport(
  mode: UdpIo,
  log: Pick<Logger, 'info' | 'warn'>,
  reusePort: boolean,
  load: () => UdpBatchAddon | Error = loadUdpBatch,
): ListenUdp {
  if (mode === 'dgram') {
    log.info({ udpIo: mode }, 'UDP: node:dgram');
    return listenUdp;
  }
  const addon = load();
  if (addon instanceof Error) {
    const level = mode === 'batched' ? 'warn' : 'info';
    log[level]({ udpIo: mode, reason: addon.message }, 'UDP: node:dgram (batched unavailable)');
    return listenUdp;
  }
  log.info({ udpIo: mode }, 'UDP: batched (recvmmsg/sendmmsg addon)');
  return async (host, port, handle, fast) => {
    // As node:dgram does for a name: its first address of the socket's family.
    const family = host.includes(':') ? 6 : 4;
    const address = isIP(host)
      ? host
      : (await (await import('node:dns/promises')).lookup(host, { family })).address;
    return listenUdpBatched(addon, address, port, handle, fast, reusePort);
  };
}
