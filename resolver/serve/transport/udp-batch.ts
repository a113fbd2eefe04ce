/**
 * DNS over UDP through the batched addon (resolver/native/udp-batch.c, Linux): the addon reads
 * up to 64 datagrams with one recvmmsg and calls onBatch once; here each query is read in place
 * from the shared memory, the fast path answers what it can, and every answer written back is
 * sent with one sendmmsg when onBatch returns. A query the fast path leaves takes the full
 * chain on a copy, exactly as with node:dgram; an answer that comes later (forwarded) is sent
 * with send(). Peer addresses are turned into strings only when the peer changes.
 */
import type { FastPath } from '../fast-path.js';
import type { Handler } from '../handler.js';
import { loadAddon } from '../native-addon.js';
import type { UdpListener } from './udp.js';

interface Opened {
  id: number;
  port: number;
  memory: ArrayBuffer;
  slots: number;
  slotBytes: number;
  outOffset: number;
  outBytes: number;
  peersOffset: number;
  peerBytes: number;
  metaOffset: number;
}

export interface UdpBatchAddon {
  open(
    family: 4 | 6,
    host: string,
    port: number,
    reusePort: boolean,
    onBatch: (count: number) => void,
  ): Opened;
  send(id: number, bytes: Uint8Array, peer: Uint8Array): boolean;
  peerName(peer: Uint8Array, family: 4 | 6): string;
  close(id: number): void;
}

let loaded: UdpBatchAddon | Error | undefined;

/** The addon, or why it cannot be used; never throws. */
export function loadUdpBatch(): UdpBatchAddon | Error {
  loaded ??= loadUdpBatchFrom();
  return loaded;
}

/** The UDP addon from `paths` (relative to resolver/serve/), by default where it is built. */
export function loadUdpBatchFrom(paths?: readonly string[]): UdpBatchAddon | Error {
  return loadAddon<UdpBatchAddon>('udp_batch.node', (a) => typeof a.open === 'function', paths);
}

/** How many recent peers keep their address string: clients tend to send in runs. */
const PEER_CACHE = 4;
/** 32-bit words compared per peer: IPv4 address, or IPv6 address and scope. */
const KEY_WORDS = 5;

export function listenUdpBatched(
  addon: UdpBatchAddon,
  host: string,
  port: number,
  handle: Handler,
  fast: FastPath | undefined,
  reusePort: boolean,
): UdpListener {
  const family = host.includes(':') ? 6 : 4;
  let id = -1;
  let closed = false;

  const onBatch = (count: number): void => {
    let cursor = 0; // where the next answer goes in the shared answers area
    for (let i = 0; i < count; i++) {
      outLengths[i] = 0;
      const length = inLengths[i] as number;
      if (length < 0) continue; // a datagram the addon could not attribute to a peer
      const start = i * slotBytes;
      const msg = input.subarray(start, start + length);
      const client = clientOf(i);
      let answer = fast?.answer(msg, client);
      if (answer === undefined) {
        // The chain may keep the query past this batch (forwarding): it gets its own copy.
        const reply = handle(Buffer.from(msg), client, 'udp');
        if (reply === undefined) continue;
        if (!(reply instanceof Uint8Array)) {
          const peer = peers.slice(i * peerBytes, (i + 1) * peerBytes);
          reply.then(
            (bytes) => {
              if (!closed) addon.send(id, bytes, peer);
            },
            () => {},
          );
          continue;
        }
        answer = reply;
      }
      if (cursor + answer.length <= out.length) {
        out.set(answer, cursor);
        outOffsets[i] = cursor;
        outLengths[i] = answer.length;
        cursor += answer.length;
      } else {
        addon.send(id, answer, peers.subarray(i * peerBytes, (i + 1) * peerBytes));
      }
    }
  };

  const opened = addon.open(family, host, port, reusePort, onBatch);
  id = opened.id;
  const { memory, slots, slotBytes, peerBytes } = opened;
  const input = new Uint8Array(memory, 0, slots * slotBytes);
  const out = new Uint8Array(memory, opened.outOffset, opened.outBytes);
  const peers = new Uint8Array(memory, opened.peersOffset, slots * peerBytes);
  const peerWords = new Uint32Array(memory, opened.peersOffset, (slots * peerBytes) / 4);
  const inLengths = new Int32Array(memory, opened.metaOffset, slots);
  const outOffsets = new Int32Array(memory, opened.metaOffset + slots * 4, slots);
  const outLengths = new Int32Array(memory, opened.metaOffset + slots * 8, slots);

  // The last few peers' address bytes and strings (sockaddr_in: address at byte 4;
  // sockaddr_in6: address at bytes 8–23, scope id at 24).
  const keys = new Uint32Array(PEER_CACHE * KEY_WORDS);
  const names: string[] = [];
  let next = 0;
  const wordsPerPeer = peerBytes / 4;
  const clientOf = (i: number): string => {
    const w = i * wordsPerPeer;
    const a = (family === 4 ? peerWords[w + 1] : peerWords[w + 2]) as number;
    const b = family === 4 ? 0 : (peerWords[w + 3] as number);
    const c = family === 4 ? 0 : (peerWords[w + 4] as number);
    const d = family === 4 ? 0 : (peerWords[w + 5] as number);
    const e = family === 4 ? 0 : (peerWords[w + 6] as number);
    for (let k = 0; k < names.length; k++) {
      const o = k * KEY_WORDS;
      const same =
        keys[o] === a &&
        keys[o + 1] === b &&
        keys[o + 2] === c &&
        keys[o + 3] === d &&
        keys[o + 4] === e;
      if (same) return names[k] as string;
    }
    const name = addon.peerName(peers.subarray(i * peerBytes, (i + 1) * peerBytes), family);
    const o = next * KEY_WORDS;
    keys.set([a, b, c, d, e], o);
    names[next] = name;
    next = (next + 1) % PEER_CACHE;
    return name;
  };

  return {
    port: opened.port,
    close: async () => {
      if (closed) return;
      closed = true;
      addon.close(id);
    },
  };
}
