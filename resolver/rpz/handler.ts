/**
 * What the primary answers to one request, independent of sockets: the ACL first, then TSIG
 * (a signed request is always checked; transfers need a signature when keys are configured,
 * except from `allowUnsigned` networks), then SOA, AXFR or IXFR for the zone, and a precise
 * refusal for everything else. Answers to signed requests are signed.
 */

import { CLASS, FLAG, OPCODE, opcodeOf, RCODE, TYPE } from '../dns/codes.js';
import {
  type ParsedMessage,
  parseMessage,
  questionBytes,
  readHeader,
  soaSerial,
} from '../dns/message.js';
import { errorReply } from '../dns/reply.js';
import { WireError } from '../dns/wire-error.js';
import { MessageWriter } from '../dns/writer.js';
import type { AddressSet } from '../net/address-set.js';
import type { ZoneHistory } from './history.js';
import { serialNewer } from './serial.js';
import { axfrItems, ixfrItems, transferMessages, writeSoa } from './transfer.js';
import {
  findTsig,
  serverTimeOther,
  signMessage,
  TSIG_ERROR,
  type TsigKey,
  TsigStreamSigner,
  unsignedTsigError,
  verifyMessage,
} from './tsig.js';
import type { RpzZone } from './zone.js';

export interface RpzCounters {
  soa: number;
  axfr: number;
  ixfr: number;
  /** IXFR asked from a serial the primary has no diffs for: answered with the whole zone. */
  ixfrAsAxfr: number;
  /** IXFR from the current serial (or over UDP): answered with the SOA alone. */
  ixfrSoaOnly: number;
  refused: number;
  formErr: number;
  notImp: number;
  tsigFailures: number;
  notifySent: number;
  notifyAcked: number;
  notifyFailed: number;
  reloads: number;
  reloadFailures: number;
}

export const newCounters = (): RpzCounters => ({
  soa: 0,
  axfr: 0,
  ixfr: 0,
  ixfrAsAxfr: 0,
  ixfrSoaOnly: 0,
  refused: 0,
  formErr: 0,
  notImp: 0,
  tsigFailures: 0,
  notifySent: 0,
  notifyAcked: 0,
  notifyFailed: 0,
  reloads: 0,
  reloadFailures: 0,
});

export interface HandlerState {
  zone: RpzZone;
  history: ZoneHistory;
  keys: readonly TsigKey[];
  allowTransfer: AddressSet;
  allowUnsigned: AddressSet;
  counters: RpzCounters;
  log: (line: string) => void;
  /** Seconds since the epoch (a parameter so tests can step the clock). */
  now: () => number;
}

export type Reply =
  | { kind: 'none' }
  /** A NOTIFY response from a secondary, for the notifier. */
  | { kind: 'notify-answer'; id: number }
  | { kind: 'message'; message: Buffer }
  | { kind: 'transfer'; type: 'AXFR' | 'IXFR'; serial: number; messages: Iterable<Buffer> };

export function handleRequest(
  msg: Buffer,
  transport: 'udp' | 'tcp',
  remote: string,
  state: HandlerState,
): Reply {
  const { counters } = state;
  if (msg.length < 12) {
    counters.formErr++;
    return { kind: 'none' };
  }
  const header = readHeader(msg);
  if (header.flags & FLAG.QR) {
    return opcodeOf(header.flags) === OPCODE.NOTIFY && transport === 'udp'
      ? { kind: 'notify-answer', id: header.id }
      : { kind: 'none' };
  }
  const message = (m: Buffer): Reply => ({ kind: 'message', message: m });
  let parsed: ParsedMessage;
  let question: Uint8Array | undefined;
  try {
    parsed = parseMessage(msg);
    question = questionBytes(msg, parsed);
  } catch {
    counters.formErr++;
    return message(errorReply(msg, RCODE.FORMERR));
  }
  if (!state.allowTransfer.has(remote)) {
    counters.refused++;
    return message(errorReply(msg, RCODE.REFUSED, question));
  }

  const now = state.now();
  let auth: { key: TsigKey; mac: Buffer } | undefined;
  try {
    const tsig = findTsig(msg, parsed);
    if (tsig) {
      const result = verifyMessage(msg, tsig, state.keys, now);
      if (!result.ok) {
        counters.tsigFailures++;
        state.log(`TSIG ${tsigErrorName(result.error)} from ${remote} (key "${tsig.keyName}")`);
        const reply = errorReply(msg, RCODE.NOTAUTH, question);
        if (result.error === TSIG_ERROR.BADTIME && result.key) {
          // Signed; Time Signed echoes the client's time, Other Data carries ours (§5.2.3).
          return message(
            signMessage(reply, result.key, {
              now: tsig.timeSigned,
              requestMac: tsig.mac,
              error: TSIG_ERROR.BADTIME,
              other: serverTimeOther(now),
            }),
          );
        }
        return message(unsignedTsigError(reply, tsig, result.error, now));
      }
      auth = { key: result.key, mac: tsig.mac };
    }
  } catch (error) {
    if (!(error instanceof WireError)) throw error;
    counters.formErr++;
    return message(errorReply(msg, RCODE.FORMERR, question));
  }
  const sign = (reply: Buffer): Reply =>
    message(auth ? signMessage(reply, auth.key, { now, requestMac: auth.mac }) : reply);

  if (opcodeOf(header.flags) !== OPCODE.QUERY) {
    counters.notImp++;
    return sign(errorReply(msg, RCODE.NOTIMP, question));
  }
  const q = parsed.questions[0];
  if (!q || parsed.questions.length !== 1) {
    counters.formErr++;
    return sign(errorReply(msg, RCODE.FORMERR));
  }
  const { zone } = state;
  if (q.name !== zone.origin || q.class !== CLASS.IN) {
    counters.refused++;
    return sign(errorReply(msg, RCODE.REFUSED, question));
  }
  const soaOnly = () => sign(soaReply(zone, header.id, header.flags, q.type));

  if (q.type === TYPE.SOA) {
    counters.soa++;
    return soaOnly();
  }
  if (q.type !== TYPE.AXFR && q.type !== TYPE.IXFR) {
    // A transfer-only primary: the zone's contents are for secondaries, not for lookups.
    counters.refused++;
    return sign(errorReply(msg, RCODE.REFUSED, question));
  }
  if (state.keys.length && !auth && !state.allowUnsigned.has(remote)) {
    counters.refused++;
    state.log(`transfer without TSIG from ${remote} refused`);
    return message(errorReply(msg, RCODE.REFUSED, question));
  }
  const transfer = (type: 'AXFR' | 'IXFR', items: ReturnType<typeof axfrItems>): Reply => {
    const messages = transferMessages(zone, header.id, q.type, items);
    const signer = auth && new TsigStreamSigner(auth.key, auth.mac, state.now);
    return {
      kind: 'transfer',
      type,
      serial: zone.serial,
      messages: signer ? mapIterable(messages, (m) => signer.sign(m)) : messages,
    };
  };

  if (q.type === TYPE.AXFR) {
    if (transport === 'udp') {
      counters.formErr++;
      return sign(errorReply(msg, RCODE.FORMERR, question));
    }
    counters.axfr++;
    return transfer('AXFR', axfrItems(zone));
  }

  const soa = parsed.records.find((r) => r.section === 'authority' && r.type === TYPE.SOA);
  let clientSerial: number;
  try {
    if (!soa) throw new WireError('IXFR without an SOA in the authority section');
    clientSerial = soaSerial(msg, soa);
  } catch {
    counters.formErr++;
    return sign(errorReply(msg, RCODE.FORMERR, question));
  }
  // Up to date (or ahead), or over UDP where a transfer does not fit: the SOA alone (RFC 1995 §2, §4).
  if (transport === 'udp' || !serialNewer(zone.serial, clientSerial)) {
    counters.ixfrSoaOnly++;
    return soaOnly();
  }
  const chain = state.history.chain(clientSerial, zone.serial);
  if (!chain) {
    counters.ixfrAsAxfr++;
    return transfer('AXFR', axfrItems(zone));
  }
  counters.ixfr++;
  return transfer('IXFR', ixfrItems(zone, chain));
}

function soaReply(zone: RpzZone, id: number, requestFlags: number, qtype: number): Buffer {
  const w = new MessageWriter(512, zone.origin);
  w.reset(id, FLAG.QR | FLAG.AA | (requestFlags & FLAG.RD));
  w.question(qtype);
  writeSoa(w, zone, zone.serial);
  return w.finish();
}

function* mapIterable<T, U>(items: Iterable<T>, f: (item: T) => U): Generator<U> {
  for (const item of items) yield f(item);
}

function tsigErrorName(error: number): string {
  return Object.entries(TSIG_ERROR).find(([, v]) => v === error)?.[0] ?? `error ${error}`;
}
