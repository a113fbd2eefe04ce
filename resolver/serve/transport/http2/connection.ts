/**
 * The server side of one HTTP/2 connection (RFC 9113) over an established TLS socket, for
 * request–response exchanges with small bodies such as DNS over HTTPS: no server push, no
 * priorities, every request answered once its body is complete. Written for DoH because Node's
 * own HTTP/2 costs about twice the CPU of Unbound's whole DoH per request before any DNS work
 * (docs/performance.md, "Where DoH's time went, and Kalkan's own HTTP/2").
 *
 * Bounded against a hostile client: frames are at most 16 KiB (our SETTINGS_MAX_FRAME_SIZE),
 * a header block at most MAX_HEADER_LIST octets encoded (its frames' headers counted, so empty
 * CONTINUATION frames cannot go on for ever) and decoded, streams counted until their handler
 * returns even when the client resets them (no "rapid reset"), request bodies held at most
 * MAX_BUFFERED octets per connection (each piece held charged for its object too, and copied
 * so that it does not keep its read alive), flow-control frames costing no more than the
 * streams waiting on them, and a client that does not read its answers is not read from either
 * (then dropped when idle). Protocol errors end the connection with GOAWAY and the RFC's code;
 * malformed requests reset their stream.
 */
import type { Socket } from 'node:net';
import {
  DEFAULT_MAX_FRAME,
  DEFAULT_WINDOW,
  ErrorCode,
  Flag,
  FRAME_HEADER,
  FrameType,
  frame,
  goawayFrame,
  MAX_FRAME_LIMIT,
  MAX_WINDOW,
  PREFACE,
  Setting,
  settingsFrame,
  uint32Frame,
  writeFrameHeader,
} from './frames.js';
import { encodeHeaders, type HeaderField, HpackDecoder, HpackError } from './hpack.js';

export interface Http2Request {
  readonly method: string;
  readonly path: string;
  readonly contentType: string | undefined;
}

export interface Http2Response {
  status: number;
  /** Lowercase names, without :status. */
  headers: HeaderField[];
  body: Uint8Array;
}

export type Http2Handler = (
  request: Http2Request,
  body: Buffer,
) => Http2Response | Promise<Http2Response>;

export interface Http2Options {
  /** A connection without traffic this long is sent GOAWAY and closed. */
  idleTimeoutMs: number;
  /** However busy, a connection is sent GOAWAY after this long (it finishes what it has). */
  maxConnectionMs: number;
  /** SETTINGS_MAX_CONCURRENT_STREAMS: streams beyond it are refused (REFUSED_STREAM). */
  maxStreams: number;
}

const MAX_HEADER_LIST = 16_384;
const HEADER_TABLE_SIZE = 4_096;
/** Request bodies not yet complete, per connection: two of the largest DNS messages. */
const MAX_BUFFERED = 2 * DEFAULT_WINDOW;
/**
 * Charged to MAX_BUFFERED per piece of a body held, beside its octets (the piece's Buffer):
 * one-octet DATA frames cannot hold a hundred thousand objects.
 */
const HELD_PIECE_COST = 64;
/** The connection window is given back in steps of this many octets. */
const RELEASE_STEP = DEFAULT_WINDOW / 4;
const MAX_UNREAD_OUTPUT = 1024 * 1024;
/** How long a connection we have ended may take to close its side. */
const CLOSE_GRACE_MS = 2_000;
const CONNECTION_SPECIFIC = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
]);

class ConnectionError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** A stream is also the request it carries, so one object is made per request. */
interface Stream extends Http2Request {
  readonly id: number;
  readonly contentLength: number | undefined;
  /** The body's first chunk (usually its only one); later ones in `more`. */
  body: Buffer | undefined;
  more: Buffer[] | undefined;
  bodySize: number;
  /** Flow-controlled octets received on the stream (padding included). */
  received: number;
  remoteClosed: boolean;
  sendWindow: number;
  /** Answer octets waiting for flow-control window. */
  pending: Uint8Array | undefined;
  working: boolean;
  reset: boolean;
  done: boolean;
}

/** A header block split over HEADERS and CONTINUATION frames. */
interface HeaderBlock {
  stream: number;
  endStream: boolean;
  fragments: Buffer[];
  size: number;
}

const EMPTY = Buffer.alloc(0);
/** What a request gets whose handler failed. */
const SERVER_ERROR: Http2Response = { status: 500, headers: [], body: EMPTY };

export function serveHttp2(socket: Socket, handler: Http2Handler, options: Http2Options): void {
  new Http2Connection(socket, handler, options);
}

class Http2Connection {
  /** Octets read but not yet handled (part of a frame, or frames held back): the first
   * `inputLength` of `input`, whose spare room takes the next reads. */
  private input: Buffer | undefined;
  private inputLength = 0;
  private prefaceSeen = false;
  private settingsSeen = false;
  private readonly decoder = new HpackDecoder(HEADER_TABLE_SIZE, MAX_HEADER_LIST);
  /** Open streams: an array, as there are few (a Map allocates as it grows and shrinks). */
  private readonly streams: Stream[] = [];
  /** Streams accepted whose handler has not returned or whose answer is not yet sent. */
  private active = 0;
  private lastStream = 0;
  private headerBlock: HeaderBlock | undefined;
  private peerInitialWindow = DEFAULT_WINDOW;
  private peerMaxFrame = DEFAULT_MAX_FRAME;
  private sendWindow = DEFAULT_WINDOW;
  private buffered = 0;
  private toRelease = 0;
  private readonly blocked = new Set<Stream>();
  /** Frames to write: the first `outCount` entries (the array is reused, not trimmed). */
  private readonly out: Buffer[] = [];
  private outCount = 0;
  /** Octets in `out`. */
  private outBytes = 0;
  private flushScheduled = false;
  /** GOAWAY sent or received: no new streams. */
  private closing = false;
  private failed = false;
  /** Inside read(), which flushes when it is done. */
  private reading = false;
  private readonly lifetime: NodeJS.Timeout;

  constructor(
    private readonly socket: Socket,
    private readonly handler: Http2Handler,
    private readonly options: Http2Options,
  ) {
    this.send(
      settingsFrame([
        [Setting.MAX_CONCURRENT_STREAMS, options.maxStreams],
        [Setting.MAX_HEADER_LIST_SIZE, MAX_HEADER_LIST],
      ]),
    );
    this.flush();
    socket.on('data', (chunk: Buffer) => this.read(chunk));
    socket.on('error', () => {});
    socket.setTimeout(options.idleTimeoutMs, () => {
      if (this.closing) socket.destroy();
      else this.goAway(ErrorCode.NO_ERROR);
    });
    this.lifetime = setTimeout(() => this.goAway(ErrorCode.NO_ERROR), options.maxConnectionMs);
    socket.once('close', () => clearTimeout(this.lifetime));
  }

  private read(chunk: Buffer): void {
    let more = this.readFrames(chunk);
    // Stopped by a backlog that the socket then took at once: go on with what is left.
    while (more && !this.socket.isPaused()) more = this.readFrames(EMPTY);
  }

  /** Handles the frames in `chunk`; true when it stopped for unread answers before the end. */
  private readFrames(chunk: Buffer): boolean {
    if (this.failed) return false;
    const data = this.input ? this.afterHeld(chunk) : chunk;
    let at = 0;
    let backlogged = false;
    this.reading = true;
    try {
      if (!this.prefaceSeen) {
        const seen = Math.min(data.length, PREFACE.length);
        if (!data.subarray(0, seen).equals(PREFACE.subarray(0, seen)))
          throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'not the HTTP/2 preface');
        if (seen < PREFACE.length) {
          this.hold(data, 0, data !== chunk);
          return false;
        }
        this.prefaceSeen = true;
        at = PREFACE.length;
      }
      while (data.length - at >= FRAME_HEADER) {
        const length =
          ((data[at] as number) << 16) | ((data[at + 1] as number) << 8) | (data[at + 2] as number);
        if (length > DEFAULT_MAX_FRAME)
          throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, 'frame above 16 KiB');
        const end = at + FRAME_HEADER + length;
        if (data.length < end) break;
        this.frame(
          data[at + 3] as number,
          data[at + 4] as number,
          data.readUInt32BE(at + 5) & 0x7fffffff,
          data,
          at + FRAME_HEADER,
          end,
        );
        at = end;
        if (this.failed) return false;
        // Requests whose answers would pile up unread wait in `input` (one small frame can
        // ask for a 64 KB answer).
        backlogged = this.outBytes + this.socket.writableLength > MAX_UNREAD_OUTPUT;
        if (backlogged) break;
      }
    } catch (error) {
      if (!(error instanceof ConnectionError)) throw error;
      this.fail(error.code);
      return false;
    } finally {
      this.reading = false;
    }
    this.hold(data, at, data !== chunk);
    this.flush();
    return backlogged && this.input !== undefined;
  }

  /**
   * `chunk` after the octets held from earlier reads. It is written into the held buffer's spare
   * room, which doubles when short: a frame sent a few octets per read is copied a few times in
   * all, not once per read (which costs time in the square of its length).
   */
  private afterHeld(chunk: Buffer): Buffer {
    let held = this.input as Buffer;
    const length = this.inputLength + chunk.length;
    if (length > held.length) {
      const grown = Buffer.allocUnsafe(Math.max(length, 2 * held.length));
      held.copy(grown, 0, 0, this.inputLength);
      held = grown;
      this.input = grown;
    }
    chunk.copy(held, this.inputLength);
    this.inputLength = length;
    return held.subarray(0, length);
  }

  /**
   * Keeps `data[from, end)`, what a read left unhandled. Unless it is already the held buffer,
   * it is copied: the whole read chunk is not kept alive for it, and the held buffer is never
   * written where a handled frame's payload may still be in use.
   */
  private hold(data: Buffer, from: number, isHeld: boolean): void {
    const rest = data.length - from;
    if (rest === 0) {
      this.input = undefined;
      this.inputLength = 0;
    } else if (!(isHeld && from === 0)) {
      this.input = Buffer.allocUnsafe(Math.max(rest, FRAME_HEADER));
      data.copy(this.input, 0, from);
      this.inputLength = rest;
    }
  }

  /** One frame whose payload is `data[start, end)`. */
  private frame(
    type: number,
    flags: number,
    id: number,
    data: Buffer,
    start: number,
    end: number,
  ): void {
    if (this.headerBlock && type !== FrameType.CONTINUATION)
      throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'a header block was not continued');
    if (!this.settingsSeen && type !== FrameType.SETTINGS)
      throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'the first frame must be SETTINGS');
    const length = end - start;
    switch (type) {
      case FrameType.DATA:
        this.data(flags, id, data, start, end);
        return;
      case FrameType.HEADERS:
        this.headers(flags, id, data, start, end);
        return;
      case FrameType.CONTINUATION:
        this.continuation(flags, id, data.subarray(start, end));
        return;
      case FrameType.PRIORITY:
        if (id === 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'PRIORITY on stream 0');
        if (length !== 5) this.resetStream(id, ErrorCode.FRAME_SIZE_ERROR);
        return;
      case FrameType.RST_STREAM:
        this.rstStream(id, length);
        return;
      case FrameType.SETTINGS:
        this.settings(flags, id, data.subarray(start, end));
        return;
      case FrameType.PUSH_PROMISE:
        throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'a client cannot push');
      case FrameType.PING:
        if (id !== 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'PING on a stream');
        if (length !== 8) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, 'PING is 8 octets');
        if (!(flags & Flag.ACK))
          this.send(frame(FrameType.PING, Flag.ACK, 0, data.subarray(start, end)));
        return;
      case FrameType.GOAWAY:
        if (id !== 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'GOAWAY on a stream');
        if (this.closing) return; // already ending once its streams are answered
        this.closing = true;
        this.endWhenDone();
        return;
      case FrameType.WINDOW_UPDATE:
        if (length !== 4)
          throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, 'WINDOW_UPDATE is 4 octets');
        this.windowUpdate(id, data.readUInt32BE(start) & 0x7fffffff);
        return;
      default:
        return; // unknown frame types are ignored (RFC 9113 §4.1)
    }
  }

  /** Where the content of a DATA or HEADERS payload `data[start, end)` ends, padding aside. */
  private contentEnd(flags: number, data: Buffer, start: number, end: number): number {
    if (!(flags & Flag.PADDED)) return end;
    if (end <= start)
      throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, 'padded frame without its length');
    return end - (data[start] as number);
  }

  private data(flags: number, id: number, data: Buffer, start: number, end: number): void {
    if (id === 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'DATA on stream 0');
    const contentStart = flags & Flag.PADDED ? start + 1 : start;
    const contentEnd = this.contentEnd(flags, data, start, end);
    if (contentEnd < contentStart)
      throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'padding longer than the frame');
    // The connection window is given back at once: what a client may hold here is bounded by
    // MAX_BUFFERED instead, so a client whose bodies are never finished cannot stall others.
    this.toRelease += end - start;
    const stream = this.open(id);
    if (!stream) {
      if (id > this.lastStream)
        throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'DATA on an idle stream');
      return; // a stream already closed or reset: ignored
    }
    if (stream.remoteClosed) {
      this.resetStream(id, ErrorCode.STREAM_CLOSED);
      return;
    }
    stream.received += end - start;
    if (stream.received > DEFAULT_WINDOW) {
      this.resetStream(id, ErrorCode.FLOW_CONTROL_ERROR);
      return;
    }
    const size = contentEnd - contentStart;
    if (size > 0) {
      this.buffered += size + HELD_PIECE_COST;
      if (this.buffered > MAX_BUFFERED)
        throw new ConnectionError(ErrorCode.ENHANCE_YOUR_CALM, 'too many unfinished bodies');
      // A piece kept past this read is copied: a view would keep the whole read chunk alive.
      const whole = flags & Flag.END_STREAM && !stream.body;
      const chunk = whole
        ? data.subarray(contentStart, contentEnd)
        : Buffer.from(data.subarray(contentStart, contentEnd));
      if (!stream.body) stream.body = chunk;
      else if (stream.more) stream.more.push(chunk);
      else stream.more = [chunk];
      stream.bodySize += size;
    }
    if (flags & Flag.END_STREAM) this.endOfRequest(stream);
  }

  private headers(flags: number, id: number, data: Buffer, start: number, end: number): void {
    if (id === 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'HEADERS on stream 0');
    const blockStart = start + (flags & Flag.PADDED ? 1 : 0) + (flags & Flag.PRIORITY ? 5 : 0);
    const blockEnd = this.contentEnd(flags, data, start, end);
    if (blockEnd < blockStart)
      throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'padding longer than the frame');
    const endStream = (flags & Flag.END_STREAM) !== 0;
    if (flags & Flag.END_HEADERS) {
      this.headerBlockDone(id, endStream, data, blockStart, blockEnd);
      return;
    }
    // Copied: the block waits for its CONTINUATION frames, in later reads.
    const fragment = Buffer.from(data.subarray(blockStart, blockEnd));
    this.headerBlock = {
      stream: id,
      endStream,
      fragments: [fragment],
      size: FRAME_HEADER + fragment.length,
    };
  }

  private continuation(flags: number, id: number, payload: Buffer): void {
    const block = this.headerBlock;
    if (!block || block.stream !== id)
      throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'CONTINUATION out of place');
    block.fragments.push(Buffer.from(payload));
    block.size += FRAME_HEADER + payload.length;
    if (block.size > MAX_HEADER_LIST)
      throw new ConnectionError(ErrorCode.ENHANCE_YOUR_CALM, 'header block too large');
    if (!(flags & Flag.END_HEADERS)) return;
    this.headerBlock = undefined;
    const whole = Buffer.concat(block.fragments);
    this.headerBlockDone(id, block.endStream, whole, 0, whole.length);
  }

  private headerBlockDone(
    id: number,
    endStream: boolean,
    data: Buffer,
    start: number,
    end: number,
  ): void {
    let count: number;
    try {
      // Every block is decoded, also of refused streams: the table is the connection's state.
      count = this.decoder.decode(data, start, end);
    } catch (error) {
      if (!(error instanceof HpackError)) throw error;
      throw new ConnectionError(ErrorCode.COMPRESSION_ERROR, error.message);
    }
    const open = this.open(id);
    if (open) {
      // Trailers: they must end the stream; their fields mean nothing to DNS.
      if (open.remoteClosed) this.resetStream(id, ErrorCode.STREAM_CLOSED);
      else if (!endStream) this.resetStream(id, ErrorCode.PROTOCOL_ERROR);
      else this.endOfRequest(open);
      return;
    }
    if (id % 2 === 0)
      throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'HEADERS on a server stream');
    // A closed stream: a request's stream ends by the client's own END_STREAM, so one that gets
    // more is one we reset, and what the client sent before it saw that is ignored (RFC 9113
    // §5.1), such as the trailers of a refused request.
    if (id <= this.lastStream) return;
    this.lastStream = id;
    if (this.closing) return; // after GOAWAY new streams are ignored
    if (this.active >= this.options.maxStreams) {
      this.resetStream(id, ErrorCode.REFUSED_STREAM);
      return;
    }
    const stream = streamOf(id, this.decoder.fields, count, this.peerInitialWindow);
    if (!stream) {
      this.resetStream(id, ErrorCode.PROTOCOL_ERROR);
      return;
    }
    this.streams.push(stream);
    this.active++;
    if (endStream) this.endOfRequest(stream);
  }

  private endOfRequest(stream: Stream): void {
    stream.remoteClosed = true;
    this.buffered -= heldOf(stream);
    if (stream.contentLength !== undefined && stream.contentLength !== stream.bodySize) {
      this.resetStream(stream.id, ErrorCode.PROTOCOL_ERROR);
      return;
    }
    const body = stream.more
      ? Buffer.concat([stream.body as Buffer, ...stream.more])
      : (stream.body ?? EMPTY);
    stream.body = undefined;
    stream.more = undefined;
    stream.working = true;
    let response: Http2Response | Promise<Http2Response>;
    try {
      response = this.handler(stream, body);
    } catch {
      // Thrown out of the socket's 'data' event it would end the whole process.
      response = SERVER_ERROR;
    }
    if (response instanceof Promise) {
      response.then(
        (r) => this.respond(stream, r),
        () => this.respond(stream, SERVER_ERROR),
      );
    } else this.respond(stream, response);
  }

  private respond(stream: Stream, response: Http2Response): void {
    stream.working = false;
    if (stream.reset || this.socket.destroyed) {
      this.finish(stream);
      return;
    }
    const block = encodeHeaders(response.status, response.headers);
    const { body } = response;
    const size = body.length;
    if (size > 0 && size <= Math.min(stream.sendWindow, this.sendWindow, this.peerMaxFrame)) {
      // The usual answer: HEADERS and the whole body in one DATA frame, in one buffer.
      const out = Buffer.allocUnsafe(2 * FRAME_HEADER + block.length + size);
      writeFrameHeader(out, 0, block.length, FrameType.HEADERS, Flag.END_HEADERS, stream.id);
      out.set(block, FRAME_HEADER);
      const data = FRAME_HEADER + block.length;
      writeFrameHeader(out, data, size, FrameType.DATA, Flag.END_STREAM, stream.id);
      out.set(body, data + FRAME_HEADER);
      stream.sendWindow -= size;
      this.sendWindow -= size;
      this.send(out);
      this.finish(stream);
    } else {
      const flags = Flag.END_HEADERS | (size === 0 ? Flag.END_STREAM : 0);
      this.send(frame(FrameType.HEADERS, flags, stream.id, block));
      if (size === 0) this.finish(stream);
      else {
        stream.pending = body;
        this.sendPending(stream);
      }
    }
    if (!this.reading) this.scheduleFlush();
  }

  /** Sends what flow control allows of a stream's answer; the rest waits for WINDOW_UPDATE. */
  private sendPending(stream: Stream): void {
    while (stream.pending) {
      const size = Math.min(
        stream.pending.length,
        stream.sendWindow,
        this.sendWindow,
        this.peerMaxFrame,
      );
      if (size <= 0) {
        // Waiting for the connection's window: resumed by a connection WINDOW_UPDATE. One
        // waiting for its own is resumed by its stream's WINDOW_UPDATE or a larger SETTINGS.
        if (this.sendWindow <= 0) this.blocked.add(stream);
        return;
      }
      const last = size === stream.pending.length;
      this.send(
        frame(
          FrameType.DATA,
          last ? Flag.END_STREAM : 0,
          stream.id,
          stream.pending.subarray(0, size),
        ),
      );
      stream.sendWindow -= size;
      this.sendWindow -= size;
      stream.pending = last ? undefined : stream.pending.subarray(size);
    }
    this.finish(stream);
  }

  private finish(stream: Stream): void {
    if (stream.done) return;
    stream.done = true;
    this.close(stream);
    this.blocked.delete(stream);
    this.active--;
    this.endWhenDone();
  }

  private resetStream(id: number, code: ErrorCode): void {
    this.send(uint32Frame(FrameType.RST_STREAM, id, code));
    this.dropStream(id);
  }

  /** A stream the client or we reset: its handler, if running, still counts until it returns. */
  private dropStream(id: number): void {
    const stream = this.open(id);
    if (!stream) return;
    this.close(stream);
    if (!stream.remoteClosed) this.buffered -= heldOf(stream);
    stream.remoteClosed = true;
    stream.reset = true;
    stream.body = undefined;
    stream.more = undefined;
    if (!stream.working) this.finish(stream);
  }

  private rstStream(id: number, length: number): void {
    if (id === 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'RST_STREAM on stream 0');
    if (length !== 4)
      throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, 'RST_STREAM is 4 octets');
    if (id > this.lastStream)
      throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'RST_STREAM on an idle stream');
    this.dropStream(id);
  }

  private settings(flags: number, id: number, payload: Buffer): void {
    if (id !== 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'SETTINGS on a stream');
    if (flags & Flag.ACK) {
      if (payload.length !== 0)
        throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, 'SETTINGS ACK with a payload');
      return;
    }
    if (payload.length % 6 !== 0)
      throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, 'SETTINGS not in 6-octet entries');
    // The last INITIAL_WINDOW_SIZE of the frame is the one that holds: applied once to the
    // open streams, however many entries a frame repeats.
    let initialWindow: number | undefined;
    for (let at = 0; at < payload.length; at += 6) {
      const value = payload.readUInt32BE(at + 2);
      switch (payload.readUInt16BE(at)) {
        case Setting.ENABLE_PUSH:
          if (value > 1) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'ENABLE_PUSH > 1');
          break;
        case Setting.INITIAL_WINDOW_SIZE:
          if (value > MAX_WINDOW)
            throw new ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, 'INITIAL_WINDOW_SIZE');
          initialWindow = value;
          break;
        case Setting.MAX_FRAME_SIZE:
          if (value < DEFAULT_MAX_FRAME || value > MAX_FRAME_LIMIT)
            throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'MAX_FRAME_SIZE out of range');
          this.peerMaxFrame = value;
          break;
        default:
          break; // the others bind the peer, or bind an encoder that never indexes
      }
    }
    const grown = initialWindow !== undefined && this.changeInitialWindow(initialWindow);
    this.settingsSeen = true;
    this.send(frame(FrameType.SETTINGS, Flag.ACK, 0));
    // Over a copy: an answer sent in full closes its stream, which leaves the array.
    if (grown)
      for (const stream of this.streams.slice()) if (stream.pending) this.sendPending(stream);
  }

  /** Every open stream's window moved by the change; true when they grew. */
  private changeInitialWindow(value: number): boolean {
    const change = value - this.peerInitialWindow;
    this.peerInitialWindow = value;
    if (change === 0) return false;
    for (const stream of this.streams) {
      stream.sendWindow += change;
      if (stream.sendWindow > MAX_WINDOW)
        throw new ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, 'stream window overflow');
    }
    return change > 0;
  }

  private windowUpdate(id: number, increment: number): void {
    if (id === 0) {
      if (increment === 0)
        throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'WINDOW_UPDATE of 0');
      this.sendWindow += increment;
      if (this.sendWindow > MAX_WINDOW)
        throw new ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, 'connection window overflow');
      this.sendBlocked();
      return;
    }
    if (id > this.lastStream)
      throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'WINDOW_UPDATE on an idle stream');
    const stream = this.open(id);
    if (!stream) return;
    if (increment === 0) {
      this.resetStream(id, ErrorCode.PROTOCOL_ERROR);
      return;
    }
    stream.sendWindow += increment;
    if (stream.sendWindow > MAX_WINDOW) {
      this.resetStream(id, ErrorCode.FLOW_CONTROL_ERROR);
      return;
    }
    if (stream.pending) this.sendPending(stream);
  }

  /** Streams waiting for the connection's window, in turn while it lasts. */
  private sendBlocked(): void {
    // A stream is added back only when the window ran out, which ends the loop.
    for (const stream of this.blocked) {
      if (this.sendWindow <= 0) return;
      this.blocked.delete(stream);
      this.sendPending(stream);
    }
  }

  private open(id: number): Stream | undefined {
    for (const stream of this.streams) if (stream.id === id) return stream;
    return undefined;
  }

  private close(stream: Stream): void {
    const at = this.streams.indexOf(stream);
    if (at < 0) return;
    this.streams[at] = this.streams[this.streams.length - 1] as Stream;
    this.streams.pop();
  }

  private send(frames: Buffer): void {
    this.out[this.outCount++] = frames;
    this.outBytes += frames.length;
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    process.nextTick(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    if (this.toRelease >= RELEASE_STEP) {
      this.send(uint32Frame(FrameType.WINDOW_UPDATE, 0, this.toRelease));
      this.toRelease = 0;
    }
    const count = this.outCount;
    if (count === 0 || this.socket.destroyed) return;
    const out = count === 1 ? (this.out[0] as Buffer) : Buffer.concat(this.out.slice(0, count));
    this.out.fill(EMPTY, 0, count);
    this.outCount = 0;
    this.outBytes = 0;
    this.socket.write(out);
    // A backlog stops the reading of requests until the client takes its answers: one burst of
    // large answers, which flow control allows, is not a client that does not read. One that
    // never reads adds nothing more, and its idle timeout ends it.
    if (this.socket.writableLength > MAX_UNREAD_OUTPUT && !this.socket.isPaused()) {
      this.socket.pause();
      this.socket.once('drain', () => {
        this.socket.resume();
        this.read(EMPTY);
      });
    }
  }

  /** GOAWAY: no new streams; the connection ends once those accepted are answered. */
  private goAway(code: ErrorCode): void {
    if (this.closing && code === ErrorCode.NO_ERROR) {
      this.endWhenDone();
      return;
    }
    this.closing = true;
    this.send(goawayFrame(this.lastStream, code));
    this.flush();
    this.endWhenDone();
  }

  private endWhenDone(): void {
    if (!this.closing || this.active > 0 || this.socket.destroyed) return;
    this.flush();
    this.endSocket();
  }

  /** Ends our side; a client that does not close its own within the grace is cut off. */
  private endSocket(): void {
    if (this.socket.writableEnded) return;
    this.socket.end();
    setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS).unref();
  }

  private fail(code: ErrorCode): void {
    this.failed = true;
    this.outCount = 0;
    this.outBytes = 0;
    this.send(goawayFrame(this.lastStream, code));
    this.flush();
    this.endSocket();
  }
}

/** What a stream's unfinished body is charged against MAX_BUFFERED: its octets and pieces. */
function heldOf(stream: Stream): number {
  const pieces = (stream.body ? 1 : 0) + (stream.more?.length ?? 0);
  return stream.bodySize + pieces * HELD_PIECE_COST;
}

/** The stream of a request's header list; undefined when it is malformed (RFC 9113 §8.1.1). */
function streamOf(
  id: number,
  fields: readonly HeaderField[],
  count: number,
  sendWindow: number,
): Stream | undefined {
  let method: string | undefined;
  let path: string | undefined;
  let scheme: string | undefined;
  let contentType: string | undefined;
  let contentLength: number | undefined;
  let regular = false;
  for (let i = 0; i < count; i++) {
    const field = fields[i] as HeaderField;
    const name = field[0];
    const value = field[1];
    if (name.charCodeAt(0) === 0x3a /* : */) {
      if (regular) return undefined;
      if (name === ':method' && method === undefined) method = value;
      else if (name === ':path' && path === undefined) path = value;
      else if (name === ':scheme' && scheme === undefined) scheme = value;
      else if (name !== ':authority') return undefined;
      continue;
    }
    regular = true;
    if (/[A-Z]/.test(name) || CONNECTION_SPECIFIC.has(name)) return undefined;
    if (name === 'te' && value !== 'trailers') return undefined;
    if (name === 'content-type') contentType = value;
    else if (name === 'content-length') {
      if (!/^\d{1,10}$/.test(value)) return undefined;
      contentLength = Number(value);
    }
  }
  if (method === undefined) return undefined;
  if (method !== 'CONNECT' && (!path || !scheme)) return undefined;
  return {
    id,
    method,
    path: path ?? '',
    contentType,
    contentLength,
    body: undefined,
    more: undefined,
    bodySize: 0,
    received: 0,
    remoteClosed: false,
    sendWindow,
    pending: undefined,
    working: false,
    reset: false,
    done: false,
  };
}
