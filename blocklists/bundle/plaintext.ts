/**
 * The optional plaintext section: one expression a line, `+` for block and `-` for allow,
 * block lines first, each group sorted.
 */

/** A list's block and allow expressions, as a bundle carries them. */
export interface Expressions {
  block: string[];
  allow: string[];
}

const PLUS = 0x2b;
const MINUS = 0x2d;
const NEWLINE = 0x0a;
const encoder = new TextEncoder();

/**
 * The section, sorted and without repeats, written straight into the bundle's bytes: a list of
 * millions of lines is never joined into one string nor copied. Sorts the arrays in place.
 */
export class PlaintextSection {
  private readonly groups: [number, string[]][];
  readonly length: number;

  constructor(block: string[], allow: string[]) {
    this.groups = [
      [PLUS, sortedUnique(block)],
      [MINUS, sortedUnique(allow)],
    ];
    let length = 0;
    for (const [, expressions] of this.groups) {
      for (const e of expressions) length += utf8Length(e) + 2;
    }
    this.length = length;
  }

  writeInto(out: Uint8Array, offset: number): void {
    let at = offset;
    for (const [mark, expressions] of this.groups) {
      for (const e of expressions) {
        out[at++] = mark;
        at += writeUtf8(e, out, at);
        out[at++] = NEWLINE;
      }
    }
  }
}

function sortedUnique(values: string[]): string[] {
  values.sort();
  let kept = 0;
  for (const v of values) if (kept === 0 || values[kept - 1] !== v) values[kept++] = v;
  values.length = kept;
  return values;
}

/** Expressions are ASCII (punycode hosts, %-escaped paths); anything else is encoded properly. */
function utf8Length(text: string): number {
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) > 0x7f) return encoder.encode(text).length;
  }
  return text.length;
}

function writeUtf8(text: string, out: Uint8Array, at: number): number {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0x7f) return encoder.encodeInto(text, out.subarray(at)).written;
    out[at + i] = c;
  }
  return text.length;
}

/** Line by line: the section of a 10,000,000-entry list is longer than one string may be. */
export function decodePlaintext(bytes: Uint8Array): Expressions {
  const block: string[] = [];
  const allow: string[] = [];
  const decoder = new TextDecoder();
  for (let at = 0; at < bytes.length; ) {
    let end = bytes.indexOf(NEWLINE, at);
    if (end < 0) end = bytes.length;
    const mark = bytes[at];
    if (mark === PLUS || mark === MINUS) {
      const expression = decoder.decode(bytes.subarray(at + 1, end));
      (mark === PLUS ? block : allow).push(expression);
    }
    at = end + 1;
  }
  return { block, allow };
}
