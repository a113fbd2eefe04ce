import type { ListEntry, SourceProblem } from '../sources/parse.js';
import type { EntrySink } from '../sources/sink.js';
import { type BundleBuilder, expressionOf } from './build.js';

/** Streams one source file's entries into a bundle being built, counting what it reads. */
export class BundleSourceSink implements EntrySink {
  /** Entries read (before duplicates are dropped). */
  entries = 0;
  problems = 0;

  constructor(
    private readonly file: string,
    private readonly builder: BundleBuilder,
    private readonly report: (problem: SourceProblem, kind: 'problem' | 'note') => void,
  ) {}

  add(_line: number, entry: ListEntry): void {
    this.entries++;
    this.builder.add(expressionOf(entry), entry.allow);
  }

  withdraw(_line: number, entry: ListEntry): void {
    this.builder.withdraw(expressionOf(entry), entry.allow);
  }

  problem(line: number, reason: string): void {
    this.problems++;
    this.report({ file: this.file, line, reason }, 'problem');
  }

  note(line: number, reason: string): void {
    this.report({ file: this.file, line, reason }, 'note');
  }
}
