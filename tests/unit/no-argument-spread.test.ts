/**
 * Spreading an array into a call (`rules.push(...list)`, `Math.max(...values)`,
 * `String.fromCharCode(...bytes)`) or passing it through `.apply` puts every element on the
 * stack: past about 120,000 elements it throws "Maximum call stack size exceeded". Lists have
 * millions of entries, so the source tree has no such call except the few below, whose arrays
 * have a fixed small size.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SOURCE_DIRS = ['blocklists', 'reporting', 'resolver', 'extension', 'tests'];

/** `file: call text` → why its array is bounded. */
const ALLOWED: Record<string, string> = {
  'blocklists/exports/dnr.ts: rules.push(...blockActions({ requestDomains: group }))':
    'one or two rules per group',
  'blocklists/exports/dnr.ts: rules.push(...blockActions({ urlFilter: `||${url}` }))':
    'one or two rules per URL',
  'blocklists/exports/dnr.ts: rules.push(...blockActions({ urlFilter }))':
    'one or two rules per exact name and scheme',
  'tests/integration/resolver-robustness.test.ts: fc.constantFrom(...seeds)': 'a few seed packets',
  'tests/integration/udp-batch.test.ts: Math.max(...batches)': 'one count per test burst',
  'tests/unit/reporting-delivery.test.ts: Math.min(...samples)': 'a fixed sample count',
  "resolver/intake/case-store.ts: this.db .prepare( `SELECT seq, url_tag AS urlTag, kind, recipient, language, created_at AS createdAt, created_by AS createdBy, body FROM notices ${urlTag === undefined ? '' : 'WHERE url_tag = ?'} ORDER BY seq`, ) .all(...(urlTag === undefined ? [] : [urlTag]))":
    'zero or one SQL parameter',
  'resolver/intake/store.ts: this.db .prepare( `SELECT url_tag AS urlTag, host_tag AS hostTag, label, first_seen AS firstSeen, last_seen AS lastSeen, reports, new_reports AS newReports FROM url_groups ${filter} ORDER BY last_seen DESC, url_tag LIMIT ? OFFSET ?`, ) .all(...params, query.limit, query.offset)':
    'the few SQL parameters of a triage search',
  'resolver/intake/store.ts: this.db.prepare(`SELECT count(*) AS n FROM url_groups ${filter}`).get(...params)':
    'the few SQL parameters of a triage search',
  'tests/bench/intake.ts: Math.max(...pageMs)': 'one time per triage page request of the bench',
  'tests/integration/exports-agree.test.ts: Math.max(...matching.map((r) => r.priority))':
    'the few DNR rules matching one name',
  'tests/integration/resolver-upstream.test.ts: Math.max(...counts.values())':
    'one count per port of 1,000 queries',
  'tests/integration/resolver-upstream.test.ts: Math.max(...ports)': '1,000 queries',
  'tests/integration/resolver-upstream.test.ts: Math.min(...ports)': '1,000 queries',
  'tests/unit/resolver/dns/query.test.ts: fc.constantFrom(...TYPES)': 'the fixed type table',
  'tests/unit/reporting-delivery.test.ts: Math.max(...samples)': 'a fixed sample count',
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : sourceFiles(path);
    return /\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Every call with a spread argument, and every `.apply(...)` call: `file: call text` and line. */
function argumentSpreads(file: string, text: string): { call: string; line: number }[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: { call: string; line: number }[] = [];
  const visit = (node: ts.Node): void => {
    const spreadCall =
      (ts.isCallExpression(node) || ts.isNewExpression(node)) &&
      (node.arguments ?? []).some(ts.isSpreadElement);
    const applyCall =
      ts.isCallExpression(node) &&
      ts.isPropertyAccessExpression(node.expression) &&
      node.expression.name.text === 'apply';
    if (spreadCall || applyCall) {
      const call = `${file}: ${node.getText().replace(/\s+/g, ' ')}`;
      found.push({ call, line: source.getLineAndCharacterOfPosition(node.getStart()).line + 1 });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe('the source tree', () => {
  it('spreads no array into a call, and calls no .apply, except over small fixed arrays', () => {
    const files = SOURCE_DIRS.flatMap((dir) => sourceFiles(join(ROOT, dir)));
    expect(files.length).toBeGreaterThan(100);
    const unexplained = files
      .flatMap((path) => argumentSpreads(relative(ROOT, path), readFileSync(path, 'utf8')))
      .filter(({ call }) => !(call in ALLOWED))
      .map(({ call, line }) => `${call} (line ${line})`);
    expect(unexplained).toEqual([]);
  });

  it('finds such calls when there are some (the check itself works)', () => {
    const probe = 'out.push(...entries);\nMath.max.apply(null, values);\nconst all = [...a, ...b];';
    expect(argumentSpreads('probe.ts', probe)).toEqual([
      { call: 'probe.ts: out.push(...entries)', line: 1 },
      { call: 'probe.ts: Math.max.apply(null, values)', line: 2 },
    ]);
  });
});
