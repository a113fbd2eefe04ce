import type { ListEntry, ParsedSource, SourceProblem } from './entries.js';
import { listedDomain } from './listed-domain.js';

/**
 * Gathers one file's entries, without duplicates and in order of first appearance, and its
 * problems. A problem does not repeat the entry (lists can be sensitive, build logs are not
 * private): its line number finds it.
 */
export class SourceCollector {
  private readonly entries: ListEntry[] = [];
  private readonly problems: SourceProblem[] = [];
  private readonly seen = new Set<string>();

  constructor(private readonly file: string) {}

  /** Adds a domain as the list wrote it, or records why it cannot be one. */
  addDomain(line: number, name: string, allow: boolean): void {
    const listed = listedDomain(name);
    if (listed.ok) this.add({ kind: 'domain', host: listed.host, allow });
    else this.problem(line, listed.reason);
  }

  add(entry: ListEntry): void {
    const key = `${entry.allow ? 'allow' : 'block'} ${entry.kind === 'domain' ? entry.host : entry.expression}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.entries.push(entry);
  }

  problem(line: number, reason: string): void {
    this.problems.push({ file: this.file, line, reason });
  }

  result(): ParsedSource {
    // In line order, though some are only found at the end of the file (an unclosed record).
    const problems = [...this.problems].sort((a, b) => a.line - b.line);
    return { entries: this.entries, problems };
  }
}
