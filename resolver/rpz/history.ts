/**
 * IXFR needs to know what changed between serials a secondary may hold and the current one.
 * Each new version is compared with the previous by merging their sorted domain lists; the
 * differences are kept, newest last, up to a bound, as the record sets `rpzRecords` makes.
 */
import type { ReadableList } from '../../blocklists/exports/readable.js';
import { type RpzRecord, rpzRecords } from '../../blocklists/exports/rpz.js';
import type { RpzZone } from './zone.js';

export interface ZoneDiff {
  from: number;
  to: number;
  removed: RpzRecord[];
  added: RpzRecord[];
}

// Bundles sort domain expressions as `host/`; compare the same way so the merge is linear.
const key = (host: string) => `${host}/`;

function sorted(hosts: string[]): string[] {
  for (let i = 1; i < hosts.length; i++) {
    if (key(hosts[i - 1] as string) >= key(hosts[i] as string))
      return hosts
        .map(key)
        .sort()
        .map((k) => k.slice(0, -1));
  }
  return hosts;
}

/** Hosts only in `before` and only in `after`. */
export function diffSorted(
  before: string[],
  after: string[],
): { removed: string[]; added: string[] } {
  const a = sorted(before);
  const b = sorted(after);
  const removed: string[] = [];
  const added: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = key(a[i] as string);
    const y = key(b[j] as string);
    if (x === y) {
      i++;
      j++;
    } else if (x < y) removed.push(a[i++] as string);
    else added.push(b[j++] as string);
  }
  while (i < a.length) removed.push(a[i++] as string);
  while (j < b.length) added.push(b[j++] as string);
  return { removed, added };
}

/** Records only in `before` and only in `after`, compared whole (lists with exact names). */
function diffRecords(
  before: ReadableList,
  after: ReadableList,
): { removed: RpzRecord[]; added: RpzRecord[] } {
  const keyOf = (r: RpzRecord) => `${r.name} ${r.target}`;
  const keys = (list: ReadableList) => rpzRecords(list).map(keyOf).sort();
  const a = keys(before);
  const b = keys(after);
  const removed: RpzRecord[] = [];
  const added: RpzRecord[] = [];
  const recordOf = (k: string): RpzRecord => {
    const space = k.indexOf(' ');
    return { name: k.slice(0, space), target: k.slice(space + 1) as RpzRecord['target'] };
  };
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const x = a[i];
    const y = b[j];
    if (x !== undefined && x === y) {
      i++;
      j++;
    } else if (y === undefined || (x !== undefined && x < y))
      removed.push(recordOf(a[i++] as string));
    else added.push(recordOf(b[j++] as string));
  }
  return { removed, added };
}

export function diffZones(before: RpzZone, after: RpzZone): ZoneDiff {
  // An exact allow entry changes the record of the blocked name it sits on, so a list with
  // exact names is compared record by record rather than name by name.
  const exact = (list: ReadableList) => list.blockExact.length + list.allowExact.length > 0;
  if (exact(before.list) || exact(after.list)) {
    return { from: before.serial, to: after.serial, ...diffRecords(before.list, after.list) };
  }
  const block = diffSorted(before.list.blockDomains, after.list.blockDomains);
  const allow = diffSorted(before.list.allowDomains, after.list.allowDomains);
  const part = (list: ReadableList, blockDomains: string[], allowDomains: string[]) =>
    rpzRecords({ ...list, blockDomains, allowDomains });
  return {
    from: before.serial,
    to: after.serial,
    removed: part(before.list, block.removed, allow.removed),
    added: part(after.list, block.added, allow.added),
  };
}

export class ZoneHistory {
  private diffs: ZoneDiff[] = [];

  constructor(
    private readonly maxDiffs = 64,
    /** Records kept over all diffs; past it the oldest go and those serials get AXFR. */
    private readonly maxRecords = 4_000_000,
  ) {}

  push(diff: ZoneDiff): void {
    this.diffs.push(diff);
    let total = this.diffs.reduce((n, d) => n + d.removed.length + d.added.length, 0);
    while (this.diffs.length > this.maxDiffs || (total > this.maxRecords && this.diffs.length)) {
      const old = this.diffs.shift() as ZoneDiff;
      total -= old.removed.length + old.added.length;
    }
  }

  /** The diffs leading from `serial` to `current`, or undefined if that path is not known. */
  chain(serial: number, current: number): ZoneDiff[] | undefined {
    const start = this.diffs.findIndex((d) => d.from === serial);
    if (start < 0) return undefined;
    const path = this.diffs.slice(start);
    for (let i = 1; i < path.length; i++)
      if ((path[i] as ZoneDiff).from !== (path[i - 1] as ZoneDiff).to) return undefined;
    return path.at(-1)?.to === current ? path : undefined;
  }

  get length(): number {
    return this.diffs.length;
  }

  /** Oldest first, as `push` received them. */
  get all(): readonly ZoneDiff[] {
    return this.diffs;
  }
}
