/**
 * Zone transfers as a stream of DNS messages: AXFR (RFC 5936) is SOA, NS, every record, SOA;
 * IXFR (RFC 1995) is the new SOA, then per change the old SOA, the removed records, the newer
 * SOA and the added records, then the new SOA again. Records are packed into messages of at
 * most 16 KiB, where every compression pointer still reaches its target.
 */
import { RPZ_NS, type RpzRecord } from '../../blocklists/exports/rpz.js';
import { FLAG, TYPE } from '../dns/codes.js';
import { MessageWriter } from '../dns/writer.js';
import type { ZoneDiff } from './history.js';
import type { RpzZone } from './zone.js';

export type TransferItem = { soa: number } | { ns: true } | { record: RpzRecord };

export function* axfrItems(zone: RpzZone): Generator<TransferItem> {
  yield { soa: zone.serial };
  yield { ns: true };
  for (const record of zone.records) yield { record };
  yield { soa: zone.serial };
}

export function* ixfrItems(zone: RpzZone, diffs: ZoneDiff[]): Generator<TransferItem> {
  yield { soa: zone.serial };
  for (const diff of diffs) {
    yield { soa: diff.from };
    for (const record of diff.removed) yield { record };
    yield { soa: diff.to };
    for (const record of diff.added) yield { record };
  }
  yield { soa: zone.serial };
}

export const MESSAGE_BYTES = 16_384;
const MAX_POINTER = 0x3fff;

/** Writes the SOA record (owner = origin) with the given serial into the answer section. */
export function writeSoa(w: MessageWriter, zone: RpzZone, serial: number): void {
  w.relativeName('');
  const rdata = w.recordHead(TYPE.SOA, zone.ttl, 1);
  w.name(zone.soa.mname);
  w.name(zone.soa.rname);
  w.u32(serial);
  w.u32(zone.soa.refresh);
  w.u32(zone.soa.retry);
  w.u32(zone.soa.expire);
  w.u32(zone.soa.minimum);
  w.endRecord(rdata);
}

/** Packs transfer items into messages for one request. */
export class TransferPacker {
  private readonly w: MessageWriter;
  private previousName = '';
  private previousOffset = -1;
  private records = 0;

  constructor(
    private readonly zone: RpzZone,
    private readonly id: number,
    private readonly qtype: number,
  ) {
    this.w = new MessageWriter(MESSAGE_BYTES, zone.origin);
    this.start();
  }

  private start(): void {
    this.w.reset(this.id, FLAG.QR | FLAG.AA);
    this.w.question(this.qtype);
    this.previousOffset = -1;
    this.records = 0;
  }

  get empty(): boolean {
    return this.records === 0;
  }

  /** Adds an item if it fits; false means: finish this message and add it to the next. */
  add(item: TransferItem): boolean {
    // Generous upper bounds: SOA names are the origin's plus a label each.
    const need =
      'record' in item
        ? MessageWriter.relativeSize(item.record.name) + 10 + item.record.target.length + 2
        : 12 + 2 * (this.zone.origin.length + 16) + 22;
    if (need > this.w.room) {
      if (this.empty) throw new Error('a single record does not fit a message');
      return false;
    }
    this.records++;
    if ('soa' in item) writeSoa(this.w, this.zone, item.soa);
    else if ('ns' in item) {
      this.w.relativeName('');
      const rdata = this.w.recordHead(TYPE.NS, this.zone.ttl, 1);
      this.w.name(RPZ_NS);
      this.w.endRecord(rdata);
    } else this.writeRecord(item.record);
    return true;
  }

  private writeRecord(record: RpzRecord): void {
    const { name } = record;
    let start: number;
    // `*.name` right after `name`: one label and a pointer to the name just written.
    if (
      this.previousOffset >= 0 &&
      this.previousOffset <= MAX_POINTER &&
      name.length === this.previousName.length + 2 &&
      name.startsWith('*.') &&
      name.endsWith(this.previousName)
    ) {
      start = this.w.pos;
      this.w.bytes(WILDCARD_LABEL);
      this.w.pointer(this.previousOffset);
    } else start = this.w.relativeName(name);
    this.previousName = name;
    this.previousOffset = start;
    const rdata = this.w.recordHead(TYPE.CNAME, this.zone.ttl, 1);
    if (record.target === '.') this.w.bytes(ROOT);
    else this.w.bytes(PASSTHRU);
    this.w.endRecord(rdata);
  }

  finish(): Buffer {
    const message = this.w.finish();
    this.start();
    return message;
  }
}

const WILDCARD_LABEL = Uint8Array.of(1, 42);
const ROOT = Uint8Array.of(0);
const PASSTHRU = Buffer.from('\x0crpz-passthru\x00', 'latin1');

/** The messages of a transfer, lazily, so a big zone is written as fast as the peer reads. */
export function* transferMessages(
  zone: RpzZone,
  id: number,
  qtype: number,
  items: Iterable<TransferItem>,
): Generator<Buffer> {
  const packer = new TransferPacker(zone, id, qtype);
  for (const item of items) {
    if (!packer.add(item)) {
      yield packer.finish();
      packer.add(item);
    }
  }
  if (!packer.empty) yield packer.finish();
}
