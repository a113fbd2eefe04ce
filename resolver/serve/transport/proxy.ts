/**
 * PROXY protocol v2 from the load balancers of config `proxyProtocol.from` (dnsdist with
 * `useProxyProtocol=true`): their connections and datagrams must start with a v2 header, which
 * names the real client that ACLs, policies and rate limits then see; anything else from them
 * is refused. A header from any other address is refused too (nobody else may claim to speak
 * for a client).
 */
import type { Socket } from 'node:net';
import type { AddressSet } from '../../net/address-set.js';
import { readProxyHeader, startsWithSignature } from '../../net/proxy-protocol.js';
import type { Handler } from '../handler.js';

const HEADER_TIMEOUT_MS = 5000;

interface Peer {
  remoteAddress?: string | undefined;
  remotePort?: number | undefined;
}
const peerKey = (s: Peer) => `${s.remoteAddress}|${s.remotePort}`;

export class ProxyGate {
  /** Connections admitted with a header, by the balancer's address and port: their client. */
  private readonly clients = new Map<string, string>();

  constructor(private readonly from: AddressSet | undefined) {}

  get enabled(): boolean {
    return this.from !== undefined;
  }

  /**
   * The real client of a fresh connection, once its header (if it must have one) is read and
   * taken off the stream; undefined when the connection is refused (it is then destroyed).
   */
  admit(socket: Socket): Promise<string | undefined> {
    const remote = socket.remoteAddress ?? '';
    if (!this.from?.has(remote)) return Promise.resolve(remote);
    return new Promise((resolve) => {
      let buffered = Buffer.alloc(0);
      const refuse = () => {
        cleanup();
        socket.destroy();
        resolve(undefined);
      };
      const timer = setTimeout(refuse, HEADER_TIMEOUT_MS);
      const onData = (chunk: Buffer) => {
        buffered = Buffer.concat([buffered, chunk]);
        const header = readProxyHeader(buffered);
        if (header.kind === 'incomplete') return;
        if (header.kind === 'invalid') return refuse();
        cleanup();
        socket.pause();
        const rest = buffered.subarray(header.length);
        if (rest.length > 0) socket.unshift(rest);
        const client = header.source ?? remote;
        const key = peerKey(socket);
        this.clients.set(key, client);
        socket.once('close', () => this.clients.delete(key));
        resolve(client);
      };
      const cleanup = () => {
        clearTimeout(timer);
        socket.off('data', onData);
        socket.off('close', refuse);
      };
      socket.on('data', onData);
      socket.once('close', refuse);
      socket.on('error', () => {});
    });
  }

  /** The client of a socket wrapped around an admitted connection (TLS, HTTP/2). */
  clientOf(socket: Peer): string {
    return this.clients.get(peerKey(socket)) ?? socket.remoteAddress ?? '';
  }

  /** The UDP handler: headers read and removed from the balancers' datagrams. */
  datagrams(handle: Handler): Handler {
    const from = this.from;
    return (msg, client, transport, device) => {
      if (from?.has(client)) {
        const header = readProxyHeader(msg);
        if (header.kind !== 'header') return undefined;
        return handle(msg.subarray(header.length), header.source ?? client, transport, device);
      }
      if (msg.length >= 12 && startsWithSignature(msg)) return undefined;
      return handle(msg, client, transport, device);
    };
  }
}

/** Whether a stream's first bytes are a PROXY header (refused from anyone not admitted). */
export const isProxyHeader = (chunk: Uint8Array) =>
  chunk.length >= 12 && startsWithSignature(chunk);
