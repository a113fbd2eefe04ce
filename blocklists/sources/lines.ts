/** Splitting a source file into numbered content lines, shared by every format. */

export interface SourceLine {
  /** 1-based line number in the file. */
  number: number;
  /** The line without its comment and surrounding white space; never empty. */
  text: string;
  /** Whether the line began with white space (a zone-file record that reuses the last owner). */
  indented: boolean;
}

/** Removes the comment from a line, leaving whatever content comes before it. */
export type CommentStripper = (line: string) => string;

/** A comment that starts at `marker` and runs to the end of the line. */
export function commentFrom(marker: string): CommentStripper {
  return (line) => {
    const start = line.indexOf(marker);
    return start < 0 ? line : line.slice(0, start);
  };
}

/** The content lines of a file: BOM and CR/CRLF endings handled, comments and blank lines dropped. */
export function sourceLines(
  text: string,
  stripComment: CommentStripper = (line) => line,
): SourceLine[] {
  const lines: SourceLine[] = [];
  for (const [index, raw] of text
    .replace(/^\uFEFF/, '')
    .split(/\r\n|\r|\n/)
    .entries()) {
    const content = stripComment(raw).trim();
    if (content !== '') lines.push({ number: index + 1, text: content, indented: /^\s/.test(raw) });
  }
  return lines;
}
