/**
 * DNS over HTTPS (RFC 8484) on one address: HTTP/2 (ALPN h2) and HTTP/1.1 on the same TLS port,
 * `GET /dns-query?dns=<base64url>` and `POST /dns-query` with an application/dns-message body.
 * `/dns-query/<device-id>` names a device. Connections are admitted like DoT's (PROXY header,
 * ACL, per-client cap) before TLS; the handshake must finish within the idle timeout, and an
 * idle connection is closed. HTTP/2 is served by http2/connection.ts (Node's own HTTP/2 costs
 * twice Unbound's whole DoH per request: docs/performance.md), HTTP/1.1 by node:http.
 */
import { createServer as createHttpServer, type IncomingMessage } from 'node:http';
import type { Server } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import type { Handler } from '../handler.js';
import { type Http2Request, serveHttp2 } from './http2/connection.js';
import type { HeaderField } from './http2/hpack.js';
import { listenSecure } from './tcp.js';
import type { EncryptedOptions } from './tls.js';

export const DOH_PATH = '/dns-query';
const MEDIA_TYPE = 'application/dns-message';
/** A DNS message is at most 65535 octets; base64url makes 4 characters of 3 octets. */
const MAX_MESSAGE = 65_535;
const MAX_GET_PARAM = Math.ceil((MAX_MESSAGE * 4) / 3);
const DEVICE_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;

type Request = { path: string; device: string | undefined } | undefined;

/** `/dns-query` or `/dns-query/<device-id>` (any query string aside); others: undefined. */
export function dohRequest(url: string): Request {
  const query = url.indexOf('?');
  const path = query < 0 ? url : url.slice(0, query);
  if (path === DOH_PATH) return { path, device: undefined };
  if (!path.startsWith(`${DOH_PATH}/`)) return undefined;
  const device = path.slice(DOH_PATH.length + 1).toLowerCase();
  return DEVICE_ID.test(device) ? { path, device } : undefined;
}

/** Concurrent streams per HTTP/2 connection (Unbound's http-max-streams default). */
const MAX_STREAMS = 100;

export async function listenDoh(
  host: string,
  port: number,
  handle: Handler,
  options: EncryptedOptions,
): Promise<Server> {
  const { certificate } = options;
  const tls = createTlsServer({
    ...certificate.options(),
    ALPNProtocols: ['h2', 'http/1.1'],
    noDelay: true,
    handshakeTimeout: options.idleTimeoutMs,
  });
  certificate.attach(tls);
  const clientOf = (socket: TLSSocket) =>
    options.proxy?.clientOf(socket) ?? socket.remoteAddress ?? '';
  const http1 = createHttpServer((request, response) => {
    void readBody(request)
      .then((body) =>
        answer(
          request.method,
          request.url,
          request.headers['content-type'],
          body,
          clientOf(request.socket as TLSSocket),
          handle,
        ),
      )
      .catch(() => fail(500, 'internal error'))
      .then((reply) => {
        if (response.destroyed) return;
        response.writeHead(reply.status, Object.fromEntries(reply.headers));
        response.end(reply.body);
      });
  });
  // noDelay above already applies to every accepted connection.
  tls.on('secureConnection', (socket: TLSSocket) => {
    if (socket.alpnProtocol !== 'h2') {
      socket.setTimeout(options.idleTimeoutMs, () => socket.destroy());
      http1.emit('connection', socket);
      return;
    }
    const client = clientOf(socket);
    const respond = (request: Http2Request, body: Buffer) =>
      answer(request.method, request.path, request.contentType, body, client, handle);
    serveHttp2(socket, respond, {
      idleTimeoutMs: options.idleTimeoutMs,
      maxConnectionMs: options.maxConnectionMs,
      maxStreams: MAX_STREAMS,
    });
  });
  tls.on('tlsClientError', () => {}); // a failed handshake is the client's problem
  return listenSecure(tls, host, port, options);
}

interface Reply {
  status: number;
  headers: HeaderField[];
  body: Uint8Array;
}

const TEXT = new TextEncoder();

function fail(status: number, why: string, headers: HeaderField[] = []): Reply {
  const body = TEXT.encode(`${why}\n`);
  return {
    status,
    headers: [
      ['content-type', 'text/plain; charset=utf-8'],
      ['content-length', String(body.length)],
      ...headers,
    ],
    body,
  };
}

/**
 * One header list per answer length, so its HPACK encoding is made once (hpack.ts). Emptied
 * when it reaches MAX_HEADER_LISTS: answer lengths are few (padding makes most a multiple of
 * 468), but unpadded ones from upstream can be any of 65,535.
 */
const dnsHeaders = new Map<number, HeaderField[]>();
const MAX_HEADER_LISTS = 1_024;

function dnsReply(reply: Uint8Array | undefined): Reply {
  if (reply === undefined) return fail(400, 'not a DNS query');
  let headers = dnsHeaders.get(reply.length);
  if (!headers) {
    headers = [
      ['content-type', MEDIA_TYPE],
      ['content-length', String(reply.length)],
      // Answers depend on the client's policy and change with the lists: not for shared caches.
      ['cache-control', 'private, max-age=0'],
    ];
    if (dnsHeaders.size >= MAX_HEADER_LISTS) dnsHeaders.clear();
    dnsHeaders.set(reply.length, headers);
  }
  return { status: 200, headers, body: reply };
}

/**
 * What an HTTP request for DNS gets, over either HTTP version; `body` is undefined when it
 * was too large. Synchronous when the DNS answer is (a blocked or cached name).
 */
function answer(
  method: string | undefined,
  url = '',
  contentType: string | undefined,
  body: Uint8Array | undefined,
  client: string,
  handle: Handler,
): Reply | Promise<Reply> {
  const target = dohRequest(url);
  if (!target) return fail(404, `not found: DNS over HTTPS is at ${DOH_PATH}`);
  let query: Uint8Array;
  if (method === 'GET') {
    const dns = new URL(url, 'https://x').searchParams.get('dns');
    if (!dns || dns.length > MAX_GET_PARAM || !/^[A-Za-z0-9_-]+$/.test(dns))
      return fail(400, 'GET needs ?dns= with a base64url DNS message (RFC 8484 §4.1)');
    query = Buffer.from(dns, 'base64url');
  } else if (method === 'POST') {
    if (
      contentType !== MEDIA_TYPE &&
      contentType?.split(';')[0]?.trim().toLowerCase() !== MEDIA_TYPE
    )
      return fail(415, `POST needs content-type ${MEDIA_TYPE}`);
    if (!body) return fail(413, `a DNS message is at most ${MAX_MESSAGE} octets`);
    query = body;
  } else {
    return fail(405, 'GET or POST', [['allow', 'GET, POST']]);
  }
  const reply = handle(query, client, 'https', target.device);
  return reply instanceof Promise ? reply.then(dnsReply) : dnsReply(reply);
}

/** The request body; undefined when it is too large or the request went away. */
function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_MESSAGE) {
        resolve(undefined);
        req.removeAllListeners('data');
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', () => resolve(undefined));
    req.on('close', () => resolve(undefined)); // after 'end' this changes nothing
  });
}
