/**
 * The RPZ primary: one zone from one bundle file, served over UDP (SOA, NOTIFY answers) and
 * TCP (SOA, AXFR, IXFR). `reload()` loads the file again; a bundle that fails to verify, goes
 * backwards or is hashed-only leaves the zone in force untouched. Each new serial is diffed
 * against the last for IXFR and announced to the secondaries by NOTIFY.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { type FSWatcher, watch } from 'node:fs';
import { createServer, isIPv6, type Server, type Socket } from 'node:net';
import { basename, dirname } from 'node:path';
import { FrameReader, frame } from '../dns/tcp-frame.js';
import { loadBundleFile } from '../lists/files.js';
import { AddressSet, LOOPBACK } from '../net/address-set.js';
import { type HandlerState, handleRequest, newCounters, type RpzCounters } from './handler.js';
import { diffZones, ZoneHistory } from './history.js';
import { HistoryStore } from './history-store.js';
import { Notifier, type NotifyTarget } from './notify.js';
import type { TsigKey } from './tsig.js';
import { buildRpzZone, DEFAULT_TTL, type RpzZone } from './zone.js';

export interface RpzPrimaryOptions {
  listen: { host: string; port: number };
  /** The RPZ zone name, e.g. `rpz.kalkan.example`. */
  zone: string;
  listFile: string;
  trustedKeys: Uint8Array[];
  tsigKeys?: TsigKey[];
  notify?: NotifyTarget[];
  /** Networks allowed to ask anything at all; loopback only when not given. */
  allowTransfer?: string[];
  /** Networks that may transfer without TSIG although keys are configured. */
  allowUnsigned?: string[];
  ttl?: number;
  /** How many past versions' differences to keep for IXFR. */
  historyDepth?: number;
  /** Where the IXFR history is kept across restarts; memory only when not given. */
  dataDir?: string;
  /** Reload when the list file changes (SIGHUP is the caller's to wire to `reload`). */
  watch?: boolean;
  notifyTries?: number;
  notifyTimeoutMs?: number;
  log?: (line: string) => void;
}

export type ReloadResult =
  | { changed: false; serial: number }
  | { changed: true; serial: number; from: number; removed: number; added: number };

export interface RpzPrimary {
  address: { host: string; port: number };
  serial(): number;
  counters(): RpzCounters;
  reload(): Promise<ReloadResult>;
  /** Resolves when the NOTIFYs for the latest reload were answered or gave up. */
  notified(): Promise<void>;
  close(): Promise<void>;
}

const MAX_TCP_CONNECTIONS = 64;
const TCP_IDLE_MS = 30_000;
const MAX_QUEUED_PER_CONNECTION = 8;

export async function startRpzPrimary(options: RpzPrimaryOptions): Promise<RpzPrimary> {
  const log = options.log ?? ((line: string) => console.error(`rpz: ${line}`));
  const load = async (previous?: RpzZone) =>
    buildRpzZone(
      await loadBundleFile(options.listFile, {
        trustedKeys: options.trustedKeys,
        ...(previous ? { currentSequence: previous.list.sequence } : {}),
      }),
      options.zone,
      options.ttl ?? DEFAULT_TTL,
    );
  const first = await load();
  const allowUnsigned = new AddressSet(options.allowUnsigned ?? []);
  const state: HandlerState = {
    zone: first,
    history: new ZoneHistory(options.historyDepth),
    keys: options.tsigKeys ?? [],
    allowTransfer: new AddressSet(options.allowTransfer ?? LOOPBACK),
    allowUnsigned,
    counters: newCounters(),
    log,
    now: () => Math.floor(Date.now() / 1000),
  };
  const { counters } = state;
  describe(first, log);
  const store = options.dataDir ? new HistoryStore(options.dataDir, first.origin) : undefined;
  if (store) log(await store.restore(state.history, first.serial));

  const udp = createSocket(isIPv6(options.listen.host) ? 'udp6' : 'udp4');
  const tcp = createServer();
  const bound = await Promise.allSettled([
    new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(options.listen.port, options.listen.host, () => resolve());
    }),
    new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen(options.listen.port, options.listen.host, () => resolve());
    }),
  ]);
  const failed = bound.find((r) => r.status === 'rejected');
  if (failed) {
    // Leave nothing half-open: the caller gets the error and no socket stays bound.
    if (bound[0].status === 'fulfilled') udp.close();
    if (bound[1].status === 'fulfilled') tcp.close();
    const { listen } = options;
    throw new Error(
      `cannot listen on ${listen.host}:${listen.port}: ${(failed.reason as Error).message}`,
    );
  }
  udp.on('error', (error) => log(`udp: ${error.message}`));
  tcp.on('error', (error) => log(`tcp: ${error.message}`));

  const notifier = new Notifier(
    udp,
    {
      tries: options.notifyTries ?? 5,
      firstTimeoutMs: options.notifyTimeoutMs ?? 1000,
      ...(options.tsigKeys?.[0] ? { key: options.tsigKeys[0] } : {}),
      unsigned: allowUnsigned,
    },
    log,
    (event) => counters[event]++,
  );
  serveUdp(udp, state, notifier);
  const connections = serveTcp(tcp, state);

  let notifying: Promise<void> = Promise.resolve();
  const notifyTargets = options.notify ?? [];
  const announce = () => {
    notifying = notifier.notifyAll(state.zone, notifyTargets);
  };
  announce();

  let saving: Promise<void> = Promise.resolve();
  // Reloads run one at a time, in order.
  let reloading: Promise<unknown> = Promise.resolve();
  const reloadNow = async (): Promise<ReloadResult> => {
    const current = state.zone;
    let next: RpzZone;
    try {
      next = await load(current);
    } catch (error) {
      counters.reloadFailures++;
      log(`reload refused, serial ${current.serial} stays in force: ${(error as Error).message}`);
      throw error;
    }
    if (next.serial === current.serial) return { changed: false, serial: current.serial };
    const diff = diffZones(current, next);
    state.history.push(diff);
    state.zone = next;
    counters.reloads++;
    log(
      `serial ${current.serial} -> ${next.serial}: ${diff.removed.length} records removed, ${diff.added.length} added`,
    );
    describe(next, log);
    announce();
    if (store) {
      // One write at a time, in order; close() waits for the last.
      saving = saving
        .then(() => store.save(state.history, next.serial))
        .catch((error) => log(`cannot save the IXFR history: ${(error as Error).message}`));
    }
    return {
      changed: true,
      serial: next.serial,
      from: current.serial,
      removed: diff.removed.length,
      added: diff.added.length,
    };
  };
  const reload = () => {
    const run = reloading.then(reloadNow, reloadNow);
    reloading = run.catch(() => undefined);
    return run;
  };

  let watcher: FSWatcher | undefined;
  if (options.watch) {
    let debounce: NodeJS.Timeout | undefined;
    const name = basename(options.listFile);
    watcher = watch(dirname(options.listFile), (_event, file) => {
      if (file !== name) return;
      clearTimeout(debounce);
      debounce = setTimeout(() => reload().catch(() => undefined), 300);
    });
  }

  const address = tcp.address();
  return {
    address: {
      host: options.listen.host,
      port: typeof address === 'object' && address ? address.port : options.listen.port,
    },
    serial: () => state.zone.serial,
    counters: () => ({ ...counters }),
    reload,
    notified: () => notifying,
    close: async () => {
      watcher?.close();
      notifier.close();
      for (const socket of connections) socket.destroy();
      await saving;
      await Promise.all([
        new Promise<void>((resolve) => tcp.close(() => resolve())),
        new Promise<void>((resolve) => udp.close(() => resolve())),
      ]);
    },
  };
}

function describe(zone: RpzZone, log: (line: string) => void): void {
  const { list } = zone;
  const urls = list.blockUrls.length + list.allowUrls.length;
  log(
    `zone ${zone.origin} serial ${zone.serial}: ${zone.recordCount} records from list "${list.id}"` +
      (urls ? `, ${urls} URL-level entries left out (DNS cannot see paths)` : '') +
      (zone.tooLong ? `, ${zone.tooLong} names too long for the zone left out` : ''),
  );
}

function serveUdp(udp: UdpSocket, state: HandlerState, notifier: Notifier): void {
  udp.on('message', (msg, rinfo) => {
    let reply: ReturnType<typeof handleRequest>;
    try {
      reply = handleRequest(msg, 'udp', rinfo.address, state);
    } catch (error) {
      state.log(`udp request from ${rinfo.address} failed: ${(error as Error).message}`);
      return;
    }
    if (reply.kind === 'notify-answer') notifier.answer(reply.id, rinfo);
    else if (reply.kind === 'message') udp.send(reply.message, rinfo.port, rinfo.address);
  });
}

function serveTcp(tcp: Server, state: HandlerState): Set<Socket> {
  const connections = new Set<Socket>();
  const busy = new WeakSet<Socket>();
  tcp.on('connection', (socket) => {
    if (connections.size >= MAX_TCP_CONNECTIONS) {
      // Full: make room by dropping the oldest idle connection, so idle sockets cannot lock
      // the secondaries out; if every one is mid-transfer, the newcomer waits its turn.
      const idle = [...connections].find((c) => !busy.has(c));
      if (!idle) {
        socket.destroy();
        return;
      }
      idle.destroy();
      connections.delete(idle);
    }
    connections.add(socket);
    socket.on('close', () => connections.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.setTimeout(TCP_IDLE_MS, () => socket.destroy());
    const frames = new FrameReader();
    let queued = 0;
    let chain = Promise.resolve();
    socket.on('data', (chunk) => {
      frames.push(chunk);
      for (;;) {
        const next = frames.next();
        if (next === undefined) break;
        if (next === null) {
          // Not even a header: nothing to answer to.
          state.counters.formErr++;
          socket.destroy();
          return;
        }
        const msg = Buffer.from(next);
        if (++queued > MAX_QUEUED_PER_CONNECTION) {
          socket.destroy();
          return;
        }
        busy.add(socket);
        chain = chain.then(async () => {
          await answerTcp(socket, msg, state);
          if (--queued === 0) busy.delete(socket);
        });
      }
    });
  });
  return connections;
}

async function answerTcp(socket: Socket, msg: Buffer, state: HandlerState): Promise<void> {
  const remote = socket.remoteAddress ?? '';
  let reply: ReturnType<typeof handleRequest>;
  try {
    reply = handleRequest(msg, 'tcp', remote, state);
  } catch (error) {
    state.log(`tcp request from ${remote} failed: ${(error as Error).message}`);
    socket.destroy();
    return;
  }
  if (reply.kind === 'message') {
    await write(socket, reply.message);
    return;
  }
  if (reply.kind !== 'transfer') return;
  const started = performance.now();
  let messages = 0;
  let bytes = 0;
  for (const message of reply.messages) {
    if (socket.destroyed) return;
    messages++;
    bytes += message.length;
    await write(socket, message);
  }
  state.log(
    `${reply.type} serial ${reply.serial} to ${remote}: ${messages} messages, ${bytes} bytes, ${Math.round(performance.now() - started)} ms`,
  );
}

/** Writes one length-prefixed message, waiting when the peer reads slower than we write. */
function write(socket: Socket, message: Buffer): Promise<void> {
  if (socket.destroyed || socket.write(frame(message))) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      socket.off('drain', done);
      socket.off('close', done);
      resolve();
    };
    socket.on('drain', done);
    socket.on('close', done);
  });
}
