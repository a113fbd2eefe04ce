/** Local-rule edits on the config's YAML document (comments and layout elsewhere untouched). */

import { type Document, isSeq, type YAMLSeq } from 'yaml';
import { canonicalHostname } from '../../blocklists/canonical/hostname.js';
import { text as catalogue } from '../serve/language.js';
import type { LocalRule } from './local-rules.js';

const english = catalogue('en');

/** The host of a name or URL as typed: `https://Www.Example.test/x` → `www.example.test`. */
export function hostOf(input: string): { ok: true; host: string } | { ok: false; reason: string } {
  const text = input.trim();
  let name = text;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    try {
      name = new URL(text).hostname;
    } catch {
      return { ok: false, reason: english('reason.notAUrl', { text }) };
    }
  } else name = text.split(/[/?#]/)[0] ?? '';
  const result = canonicalHostname(name);
  return result.ok ? result : { ok: false, reason: `"${text}": ${result.reason}` };
}

function rulesOf(doc: Document): YAMLSeq | undefined {
  const node = doc.get('localRules', true);
  return isSeq(node) ? node : undefined;
}

function indexOf(seq: YAMLSeq | undefined, name: string): number {
  return (
    seq?.items.findIndex(
      (item) => (item as { get?: (k: string) => unknown }).get?.('name') === name,
    ) ?? -1
  );
}

/** Adds `rule`, replacing an earlier rule for the same name. */
export function addRule(doc: Document, rule: LocalRule): void {
  const seq = rulesOf(doc);
  // An allow has no category of its own: written without one.
  const { category, ...common } = rule;
  const written = rule.action === 'block' ? rule : common;
  const node = doc.createNode(written);
  const at = indexOf(seq, rule.name);
  if (!seq) doc.set('localRules', doc.createNode([written]));
  else if (at >= 0) seq.items[at] = node;
  else seq.items.push(node);
}

export function removeRule(doc: Document, name: string): void {
  const seq = rulesOf(doc);
  const at = indexOf(seq, name);
  if (seq && at >= 0) seq.items.splice(at, 1);
}
