/** What parsing a source yields: entries and problems (the types every parser and sink share). */

/**
 * A domain entry covers the host and all its subdomains; an exact entry the host alone (a hosts
 * file read with --exact-hosts); a URL entry one Safe Browsing expression.
 */
export type ListEntry =
  | { kind: 'domain'; host: string; allow: boolean }
  | { kind: 'exact'; host: string; allow: boolean }
  | { kind: 'url'; expression: string; allow: boolean };

export interface SourceProblem {
  file: string;
  line: number;
  reason: string;
}

export interface ParsedSource {
  entries: ListEntry[];
  problems: SourceProblem[];
  /** Lines read as entries with a caveat (an AdBlock option Kalkan cannot honour fully). */
  notes: SourceProblem[];
}
