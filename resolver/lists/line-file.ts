/**
 * Writes lines to a file as they come, in chunks of about 64 kB, waiting whenever the disk is
 * behind (stream backpressure): an export of 10,000,000 lines never exists as one string.
 */
import { createWriteStream } from 'node:fs';
import { chmod } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

const CHUNK_CHARS = 64 * 1024;

/** Writes each line followed by a newline; returns how many lines were written. */
export async function writeLineFile(
  path: string,
  lines: Iterable<string>,
  mode: number,
): Promise<number> {
  let count = 0;
  function* chunks(): Generator<string> {
    let chunk = '';
    for (const line of lines) {
      chunk += `${line}\n`;
      count++;
      if (chunk.length >= CHUNK_CHARS) {
        yield chunk;
        chunk = '';
      }
    }
    if (chunk) yield chunk;
  }
  await pipeline(Readable.from(chunks(), { objectMode: false }), createWriteStream(path, { mode }));
  // `mode` applies only to a new file, through the umask: set it whatever existed before.
  await chmod(path, mode);
  return count;
}
