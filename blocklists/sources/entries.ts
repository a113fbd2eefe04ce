/** What every source parser produces: entries, and the problems of the lines it skipped. */

/** A domain entry covers the host and all its subdomains; a URL entry one Safe Browsing expression. */
export type ListEntry =
  | { kind: 'domain'; host: string; allow: boolean }
  | { kind: 'url'; expression: string; allow: boolean };

export interface SourceProblem {
  file: string;
  line: number;
  reason: string;
}

export interface ParsedSource {
  entries: ListEntry[];
  problems: SourceProblem[];
}
