/**
 * HPACK's Huffman code (RFC 7541 §5.2, Appendix B) for decoding header strings. The code is
 * canonical: every symbol's code follows from the code lengths alone (shorter codes first, and
 * in symbol order within one length), so only the lengths of Appendix B are written here.
 */

/** Code length in bits of symbols 0–255 and EOS (256), from RFC 7541 Appendix B. */
const CODE_LENGTHS = [
  13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 30, 28,
  28, 28, 28, 28, 28, 28, 28, 28, 6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6, 5, 5, 5,
  6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10, 13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
  7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6, 15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5, 6,
  7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28, 20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23,
  23, 23, 24, 23, 24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24, 22, 21, 20, 22,
  22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23, 21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22,
  23, 22, 22, 23, 26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25, 19, 21, 26, 27,
  27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27, 20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25,
  24, 24, 26, 23, 26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26, 30,
];
const EOS = 256;
const LONGEST = 30;

/**
 * Canonical decoding tables: for each length, the first code of that length and where its
 * symbols start in `symbols` (all symbols ordered by length, then value).
 */
const symbols = [...CODE_LENGTHS.keys()].sort(
  (a, b) => (CODE_LENGTHS[a] as number) - (CODE_LENGTHS[b] as number) || a - b,
);
const firstCode = new Array<number>(LONGEST + 1).fill(0);
const firstIndex = new Array<number>(LONGEST + 1).fill(0);
const countOf = new Array<number>(LONGEST + 1).fill(0);
for (const length of CODE_LENGTHS) countOf[length] = (countOf[length] as number) + 1;
{
  let code = 0;
  let index = 0;
  for (let length = 1; length <= LONGEST; length++) {
    firstCode[length] = code;
    firstIndex[length] = index;
    code = (code + (countOf[length] as number)) * 2;
    index += countOf[length] as number;
  }
}

/** Where decoded octets are put before they become a string (reused: decoding is synchronous). */
let scratch = Buffer.allocUnsafe(1024);

/** The code of `symbol`, as RFC 7541 Appendix B lists it (the tests check the table by it). */
export function huffmanCode(symbol: number): { code: number; length: number } {
  const length = CODE_LENGTHS[symbol] as number;
  const rank = symbols.indexOf(symbol) - (firstIndex[length] as number);
  return { code: (firstCode[length] as number) + rank, length };
}

/**
 * Decodes a Huffman-coded string; undefined when it is not valid HPACK (RFC 7541 §5.2): an EOS
 * symbol inside, padding longer than 7 bits, or padding that is not the most significant bits
 * of EOS (all ones).
 */
export function huffmanDecode(bytes: Uint8Array): string | undefined {
  // The shortest code is 5 bits: at most 8/5 symbols per octet.
  if (scratch.length < bytes.length * 2) scratch = Buffer.allocUnsafe(bytes.length * 2);
  let size = 0;
  let code = 0;
  let length = 0;
  let ones = true; // whether the bits since the last symbol are all ones (possible padding)
  for (const byte of bytes) {
    for (let bit = 7; bit >= 0; bit--) {
      const b = (byte >> bit) & 1;
      code = code * 2 + b;
      length++;
      ones &&= b === 1;
      const offset = code - (firstCode[length] as number);
      if (offset >= 0 && offset < (countOf[length] as number)) {
        const symbol = symbols[(firstIndex[length] as number) + offset] as number;
        if (symbol === EOS) return undefined;
        scratch[size++] = symbol;
        code = 0;
        length = 0;
        ones = true;
      } else if (length >= LONGEST) return undefined;
    }
  }
  return length <= 7 && ones ? scratch.toString('latin1', 0, size) : undefined;
}
