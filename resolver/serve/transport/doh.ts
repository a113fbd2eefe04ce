/**
 * DNS over HTTPS (RFC 8484) on one address: HTTP/2 (ALPN h2) and HTTP/1.1 on the same TLS port,
 * `GET /dns-query?dns=<base64url>` and `POST /dns-query` with an application/dns-message body.
 * `/dns-query/<device-id>` names a device. Connections are admitted like DoT's (PROXY header,
 * ACL, per-client cap) before TLS; an idle connection is closed after the idle timeout.
 * HTTP/2 streams are answered on Node's core API (stream.respond), HTTP/1.1 requests on
 * node:http's request and response: see listenDoh.
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import {
  createSecureServer,
  type Http2SecureServer,
  type IncomingHttpHeaders,
  type ServerHttp2Stream,
} from 'node:http2';
import type { Server, Socket } from 'node:net';
import type { Readable } from 'node:stream';
import type { Handler } from '../handler.js';
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
  const path = url.split('?')[0] ?? '';
  if (path === DOH_PATH) return { path, device: undefined };
  if (!path.startsWith(`${DOH_PATH}/`)) return undefined;
  const device = path.slice(DOH_PATH.length + 1).toLowerCase();
  return DEVICE_ID.test(device) ? { path, device } : undefined;
}

export async function listenDoh(
  host: string,
  port: number,
  handle: Handler,
  options: EncryptedOptions,
): Promise<Server> {
  const { certificate } = options;
  const https = createSecureServer({
    ...certificate.options(),
    allowHTTP1: true,
    ALPNProtocols: ['h2', 'http/1.1'],
    noDelay: true,
  });
  const clientOf = (socket: Socket) =>
    options.proxy?.clientOf(socket) ?? socket.remoteAddress ?? '';
  // HTTP/1.1 requests arrive as 'request' events. A 'request' listener also makes Node put its
  // HTTP/2 compatibility layer on 'stream' (a request and a response object and a trailers step
  // per stream: about a third of the CPU of a DoH query), so that listener is taken off again
  // and HTTP/2 streams are answered on the core API.
  https.on('request', (req: unknown, res: unknown) => {
    const request = req as IncomingMessage;
    const response = res as ServerResponse;
    void answer(
      { method: request.method, url: request.url, contentType: request.headers['content-type'] },
      request,
      clientOf(request.socket),
      handle,
    ).then((reply) => {
      if (response.destroyed) return;
      response.writeHead(reply.status, reply.headers);
      response.end(reply.body);
    });
  });
  https.removeAllListeners('stream');
  https.on('stream', (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => {
    const socket = stream.session?.socket as Socket | undefined;
    if (!socket) return;
    stream.on('error', () => {});
    void answer(
      {
        method: headers[':method'],
        url: headers[':path'],
        contentType: headers['content-type'],
      },
      stream,
      clientOf(socket),
      handle,
    ).then((reply) => {
      if (stream.destroyed || stream.closed) return;
      stream.respond({ ':status': reply.status, ...reply.headers });
      stream.end(reply.body);
    });
  });
  closeWhenIdle(https, options.idleTimeoutMs);
  certificate.attach(https);
  https.on('tlsClientError', () => {});
  https.on('sessionError', () => {});
  return listenSecure(https, host, port, options);
}

/**
 * A connection is closed after `idleMs` without traffic; one that has not started HTTP (no
 * HTTP/2 SETTINGS, no HTTP/1.1 request) within `idleMs` of connecting is closed too, through
 * its TCP socket (an HTTP/2 session that never starts holds the TLS socket otherwise).
 */
function closeWhenIdle(https: Http2SecureServer, idleMs: number): void {
  const starting = new Map<string, Socket>();
  const key = (s: { remoteAddress?: string | undefined; remotePort?: number | undefined }) =>
    `${s.remoteAddress}|${s.remotePort}`;
  const started = (s: Parameters<typeof key>[0]) => starting.delete(key(s));
  https.prependListener('connection', (raw: Socket) => {
    const k = key(raw);
    starting.set(k, raw);
    const timer = setTimeout(() => {
      // A reset: destroy() alone leaves a session that never started open (Node 20).
      if (starting.get(k) === raw) raw.resetAndDestroy();
    }, idleMs);
    raw.once('close', () => {
      clearTimeout(timer);
      if (starting.get(k) === raw) starting.delete(k);
    });
  });
  https.on('session', (session) => session.once('remoteSettings', () => started(session.socket)));
  https.on('request', (req) => started(req.socket));
  https.on('secureConnection', (socket: Socket) =>
    socket.setTimeout(idleMs, () => socket.destroy()),
  );
}

interface Reply {
  status: number;
  headers: OutgoingHttpHeaders;
  body: Uint8Array | string;
}

/** What an HTTP request for DNS gets, over either HTTP version. */
async function answer(
  request: { method: string | undefined; url: string | undefined; contentType: string | undefined },
  body: Readable,
  client: string,
  handle: Handler,
): Promise<Reply> {
  const fail = (status: number, why: string, headers: OutgoingHttpHeaders = {}): Reply => ({
    status,
    headers: { 'content-type': 'text/plain; charset=utf-8', ...headers },
    body: `${why}\n`,
  });
  const url = request.url ?? '';
  const target = dohRequest(url);
  if (!target) return fail(404, `not found: DNS over HTTPS is at ${DOH_PATH}`);
  let query: Uint8Array;
  if (request.method === 'GET') {
    const dns = new URL(url, 'https://x').searchParams.get('dns');
    if (!dns || dns.length > MAX_GET_PARAM || !/^[A-Za-z0-9_-]+$/.test(dns))
      return fail(400, 'GET needs ?dns= with a base64url DNS message (RFC 8484 §4.1)');
    query = Buffer.from(dns, 'base64url');
  } else if (request.method === 'POST') {
    const type = (request.contentType ?? '').split(';')[0]?.trim().toLowerCase();
    if (type !== MEDIA_TYPE) return fail(415, `POST needs content-type ${MEDIA_TYPE}`);
    const message = await readBody(body);
    if (!message) return fail(413, `a DNS message is at most ${MAX_MESSAGE} octets`);
    query = message;
  } else {
    return fail(405, 'GET or POST', { allow: 'GET, POST' });
  }
  const reply = await handle(query, client, 'https', target.device);
  if (reply === undefined) return fail(400, 'not a DNS query');
  return {
    status: 200,
    headers: {
      'content-type': MEDIA_TYPE,
      'content-length': reply.length,
      // Answers depend on the client's policy and change with the lists: not for shared caches.
      'cache-control': 'private, max-age=0',
    },
    body: reply,
  };
}

/** The request body; undefined when it is too large or the request went away. */
function readBody(req: Readable): Promise<Buffer | undefined> {
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
