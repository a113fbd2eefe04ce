/** Splitting a source file into numbered lines, shared by every format; text may come in chunks. */

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

/** The content of a raw line, or undefined for a blank or comment-only line. */
export function contentOf(
  number: number,
  raw: string,
  stripComment: CommentStripper = (line) => line,
): SourceLine | undefined {
  const text = stripComment(raw).trim();
  if (text === '') return undefined;
  const first = raw.charCodeAt(0);
  return { number, text, indented: first === 0x20 || first === 0x09 };
}

/** Receives each raw line (without its ending) and its 1-based number. */
export type LineHandler = (number: number, raw: string) => void;

/**
 * Cuts text that arrives in chunks into lines ending in LF, CRLF or CR, so a file of any size is
 * read one line at a time; a leading byte-order mark is dropped. Only a partial line is kept.
 */
export class LineSplitter {
  private rest = '';
  private count = 0;
  private started = false;

  constructor(private readonly handle: LineHandler) {}

  push(chunk: string): void {
    let text = this.rest + chunk;
    if (!this.started && text !== '') {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    let start = 0;
    for (let end = text.indexOf('\n'); end >= 0; end = text.indexOf('\n', start)) {
      this.emit(text.slice(start, end));
      start = end + 1;
    }
    this.rest = text.slice(start);
    // A file with CR endings only: emit up to its last CR but one, which may yet meet an LF.
    const lastCr = this.rest.length < 2 ? -1 : this.rest.lastIndexOf('\r', this.rest.length - 2);
    if (lastCr >= 0) {
      this.emit(this.rest.slice(0, lastCr + 1));
      this.rest = this.rest.slice(lastCr + 1);
    }
  }

  end(): void {
    if (this.rest !== '') this.emit(this.rest);
    this.rest = '';
  }

  /** A piece ending at LF (or the file's end): a final CR is its CRLF, an inner one a CR ending. */
  private emit(piece: string): void {
    if (!piece.includes('\r')) {
      this.handle(++this.count, piece);
      return;
    }
    const parts = piece.split('\r');
    if (parts[parts.length - 1] === '') parts.pop();
    for (const part of parts) this.handle(++this.count, part);
  }
}

/** Calls `handle` for every line of a whole text. */
export function forEachLine(text: string, handle: LineHandler): void {
  const splitter = new LineSplitter(handle);
  splitter.push(text);
  splitter.end();
}
