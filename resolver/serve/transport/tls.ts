/**
 * DNS over TLS (RFC 7858) on one address: the TCP framing and limits of tcp.ts inside TLS 1.2+,
 * ALPN "dot" (RFC 7858 §3.2 and the ALPN registry), session resumption by tickets (their keys
 * kept across certificate swaps). The handshake must finish within the idle timeout. A device
 * is named by the first label of the SNI: `<device-id>.<tls.name>`.
 */
import type { Server } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import type { Handler } from '../handler.js';
import { listenSecure, serveConnection, type TcpOptions } from './tcp.js';
import type { TlsCertificate } from './tls-context.js';

export const DOT_ALPN = 'dot';

export interface EncryptedOptions extends TcpOptions {
  certificate: TlsCertificate;
  /** The service's name (`tls.name`): a device id is the label in front of it. */
  serviceName: string | undefined;
}

/** `<id>.<serviceName>` → id; anything else → no device. */
export function deviceOfServername(
  servername: string | false | null | undefined,
  serviceName: string | undefined,
): string | undefined {
  if (!servername || !serviceName) return undefined;
  const name = servername.toLowerCase();
  const suffix = `.${serviceName.toLowerCase()}`;
  if (!name.endsWith(suffix)) return undefined;
  const id = name.slice(0, -suffix.length);
  return id.includes('.') || id.length === 0 ? undefined : id;
}

export async function listenTls(
  host: string,
  port: number,
  handle: Handler,
  options: EncryptedOptions,
): Promise<Server> {
  const { certificate } = options;
  const tls = createTlsServer({
    ...certificate.options(),
    ALPNProtocols: [DOT_ALPN],
    noDelay: true,
    handshakeTimeout: options.idleTimeoutMs,
  });
  certificate.attach(tls);
  tls.on('secureConnection', (socket: TLSSocket) => {
    socket.setNoDelay(true);
    const client = options.proxy?.clientOf(socket) ?? socket.remoteAddress ?? '';
    const device = deviceOfServername(socket.servername, options.serviceName);
    serveConnection(socket, client, handle, options, 'tls', device);
  });
  tls.on('tlsClientError', () => {}); // a failed handshake is the client's problem
  return listenSecure(tls, host, port, options);
}
