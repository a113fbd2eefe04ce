import type { ListEntry } from './entries.js';

/**
 * Where a format's line parser sends what it reads. A problem's reason never repeats the line's
 * content (lists can be sensitive, build logs are not private): its line number finds it.
 */
export interface EntrySink {
  add(line: number, entry: ListEntry): void;
  /** A rule that cancels an earlier or later one (AdBlock `$badfilter`). */
  withdraw(line: number, entry: ListEntry): void;
  /** A line that gives no entry. */
  problem(line: number, reason: string): void;
  /** A line read as an entry, with a caveat the publisher should know about. */
  note(line: number, reason: string): void;
}

/** Parses one file line by line: `line` for each raw line in order, then `end`. */
export interface LineParser {
  line(number: number, raw: string): void;
  end(): void;
}

export type ParserFactory = (sink: EntrySink) => LineParser;
