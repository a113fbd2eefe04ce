/** Device and policy edits on the config's YAML document (comments elsewhere untouched). */
import { type Document, isMap, isSeq, type YAMLMap, type YAMLSeq } from 'yaml';
import type { ScheduleWindow } from '../policies/schedule.js';

export interface DeviceEntry {
  name: string;
  address: string;
  policy: string;
}

export interface PolicyEntry {
  name: string;
  categories?: string[];
  safeSearch?: boolean;
}

function seqOf(doc: Document, key: string): YAMLSeq | undefined {
  const node = doc.get(key, true);
  return isSeq(node) ? node : undefined;
}

function findByName(seq: YAMLSeq | undefined, name: string): number {
  return seq?.items.findIndex((item) => isMap(item) && item.get('name') === name) ?? -1;
}

/** Puts `value` as the entry named value.name of the list `key`: replaced or appended. */
function upsert(doc: Document, key: string, value: { name: string }): void {
  const seq = seqOf(doc, key);
  const node = doc.createNode(value);
  const at = findByName(seq, value.name);
  if (!seq) doc.set(key, doc.createNode([value]));
  else if (at >= 0) seq.items[at] = node;
  else seq.items.push(node);
}

function remove(doc: Document, key: string, name: string): void {
  const seq = seqOf(doc, key);
  const at = findByName(seq, name);
  if (seq && at >= 0) seq.items.splice(at, 1);
}

export const putDevice = (doc: Document, device: DeviceEntry) => upsert(doc, 'devices', device);
export const removeDevice = (doc: Document, name: string) => remove(doc, 'devices', name);

/** Adds a policy, or changes the categories and safe search of one (its subnets and schedule kept). */
export function putPolicy(doc: Document, policy: PolicyEntry): void {
  const seq = seqOf(doc, 'policies');
  const at = findByName(seq, policy.name);
  const existing = at >= 0 ? (seq?.items[at] as YAMLMap) : undefined;
  if (!existing) {
    const entry: PolicyEntry & { subnets: string[] } = { ...policy, subnets: [] };
    upsert(doc, 'policies', entry);
    return;
  }
  if (policy.categories) existing.set('categories', doc.createNode(policy.categories));
  else existing.delete('categories');
  if (policy.safeSearch === undefined) existing.delete('safeSearch');
  else existing.set('safeSearch', policy.safeSearch);
}

/** Sets a policy's schedule to `windows` (empty: no schedule). Refused for an unknown policy. */
export function setSchedule(doc: Document, policy: string, windows: ScheduleWindow[]): boolean {
  const seq = seqOf(doc, 'policies');
  const at = findByName(seq, policy);
  if (at < 0) return false;
  const entry = seq?.items[at] as YAMLMap;
  if (windows.length) entry.set('schedule', doc.createNode(windows));
  else entry.delete('schedule');
  return true;
}
