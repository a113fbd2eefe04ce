/**
 * NOTIFY (RFC 1996): when a new serial loads, tell each secondary, over UDP from the primary's
 * own socket (the address secondaries know it by), and resend with a doubling timeout until
 * it answers or the tries run out.
 */

import { randomInt } from 'node:crypto';
import type { Socket } from 'node:dgram';
import { FLAG, OPCODE, TYPE } from '../dns/codes.js';
import { MessageWriter } from '../dns/writer.js';
import type { AddressSet } from '../net/address-set.js';
import { writeSoa } from './transfer.js';
import { signMessage, type TsigKey } from './tsig.js';
import type { RpzZone } from './zone.js';

export interface NotifyTarget {
  host: string;
  port: number;
}

export interface NotifyOptions {
  tries?: number;
  firstTimeoutMs?: number;
  key?: TsigKey;
  /** Targets here get unsigned NOTIFYs: they cannot check TSIG (Unbound 1.17). */
  unsigned?: AddressSet;
}

interface Pending {
  target: NotifyTarget;
  resolve: () => void;
}

export class Notifier {
  private readonly pending = new Map<number, Pending>();
  private timers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(
    private readonly socket: Socket,
    private readonly options: NotifyOptions,
    private readonly log: (line: string) => void,
    private readonly count: (event: 'notifySent' | 'notifyAcked' | 'notifyFailed') => void,
  ) {}

  /** A NOTIFY response arrived on the primary's socket. */
  answer(id: number, from: { address: string; port: number }): void {
    const p = this.pending.get(id);
    if (!p || p.target.port !== from.port || !sameHost(p.target.host, from.address)) return;
    this.pending.delete(id);
    p.resolve();
  }

  /** Notifies every target; resolves when each has answered or given up. */
  async notifyAll(zone: RpzZone, targets: readonly NotifyTarget[]): Promise<void> {
    await Promise.all(targets.map((t) => this.notifyOne(zone, t)));
  }

  private async notifyOne(zone: RpzZone, target: NotifyTarget): Promise<void> {
    const tries = this.options.tries ?? 5;
    let timeout = this.options.firstTimeoutMs ?? 1000;
    for (let attempt = 1; attempt <= tries && !this.closed; attempt++) {
      let id = randomInt(65536);
      while (this.pending.has(id)) id = randomInt(65536);
      const acked = new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          this.pending.delete(id);
          resolve(false);
        }, timeout);
        this.timers.add(timer);
        this.pending.set(id, {
          target,
          resolve: () => {
            clearTimeout(timer);
            this.timers.delete(timer);
            resolve(true);
          },
        });
      });
      this.socket.send(this.message(zone, id, target), target.port, target.host);
      this.count('notifySent');
      if ((await acked) && !this.closed) {
        this.count('notifyAcked');
        this.log(`notify ${target.host}:${target.port} serial ${zone.serial}: acknowledged`);
        return;
      }
      timeout *= 2;
    }
    if (!this.closed) {
      this.count('notifyFailed');
      this.log(
        `notify ${target.host}:${target.port} serial ${zone.serial}: no answer after ${tries} tries`,
      );
    }
  }

  private message(zone: RpzZone, id: number, target: NotifyTarget): Buffer {
    const w = new MessageWriter(512, zone.origin);
    w.reset(id, (OPCODE.NOTIFY << 11) | FLAG.AA);
    w.question(TYPE.SOA);
    writeSoa(w, zone, zone.serial);
    const message = w.finish();
    const { key, unsigned } = this.options;
    if (!key || unsigned?.has(target.host)) return message;
    return signMessage(message, key, { now: Math.floor(Date.now() / 1000) });
  }

  close(): void {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const p of this.pending.values()) p.resolve();
    this.pending.clear();
  }
}

function sameHost(configured: string, seen: string): boolean {
  const plain = seen.startsWith('::ffff:') ? seen.slice(7) : seen;
  return configured === plain || (configured === 'localhost' && plain === '127.0.0.1');
}
