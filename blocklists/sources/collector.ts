import type { ListEntry, ParsedSource, SourceProblem } from './entries.js';
import type { EntrySink } from './sink.js';

const keyOf = (entry: ListEntry) =>
  `${entry.allow ? 'allow' : 'block'} ${entry.kind === 'url' ? entry.expression : `${entry.kind} ${entry.host}`}`;

/**
 * Gathers one file's entries in memory, without duplicates and in order of first appearance, and
 * its problems and notes: for tests and small lists (a build streams into the bundle instead).
 */
export class SourceCollector implements EntrySink {
  private readonly entries = new Map<string, ListEntry>();
  private readonly withdrawn = new Set<string>();
  private readonly problems: SourceProblem[] = [];
  private readonly notes: SourceProblem[] = [];

  constructor(private readonly file: string) {}

  add(_line: number, entry: ListEntry): void {
    const key = keyOf(entry);
    if (!this.entries.has(key)) this.entries.set(key, entry);
  }

  withdraw(_line: number, entry: ListEntry): void {
    this.withdrawn.add(keyOf(entry));
  }

  problem(line: number, reason: string): void {
    this.problems.push({ file: this.file, line, reason });
  }

  note(line: number, reason: string): void {
    this.notes.push({ file: this.file, line, reason });
  }

  result(): ParsedSource {
    const byLine = (a: SourceProblem, b: SourceProblem) => a.line - b.line;
    return {
      entries: [...this.entries].filter(([key]) => !this.withdrawn.has(key)).map(([, e]) => e),
      // In line order, though some are only found at the end of the file (an unclosed record).
      problems: this.problems.sort(byLine),
      notes: this.notes.sort(byLine),
    };
  }
}
