/**
 * Reading a list source file from disk one chunk at a time, so a file of ten million lines is
 * never held whole (nor twice) in memory.
 */
import { createReadStream } from 'node:fs';
import { LineSplitter } from '../../blocklists/sources/lines.js';
import { FormatSniffer, type SourceFormat } from '../../blocklists/sources/parse.js';

const CHUNK_BYTES = 1 << 20;

class StopReading extends Error {}

/**
 * Calls `handle` for each line of the file in order; it may return true to stop early.
 * Errors name the file.
 */
export async function readLines(
  path: string,
  handle: (number: number, raw: string) => boolean | undefined,
): Promise<void> {
  const decoder = new TextDecoder();
  const splitter = new LineSplitter((number, raw) => {
    if (handle(number, raw)) throw new StopReading();
  });
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: CHUNK_BYTES })) {
      splitter.push(decoder.decode(chunk as Buffer, { stream: true }));
    }
    splitter.push(decoder.decode());
    splitter.end();
  } catch (error) {
    if (error instanceof StopReading) return;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === undefined) throw error;
    throw new Error(`${path}: cannot read: ${code}`, { cause: error });
  }
}

/** The file's format as its name and its first line of content tell (see FormatSniffer). */
export async function sniffFormat(path: string): Promise<SourceFormat> {
  const sniffer = new FormatSniffer(path);
  if (!sniffer.decided) {
    await readLines(path, (_number, raw) => {
      sniffer.line(raw);
      return sniffer.decided;
    });
  }
  return sniffer.format;
}
