/** A password typed or piped into a command (`user add`): its first line on stdin. */
import { createInterface } from 'node:readline';
import { UsageError } from './usage.js';

export async function passwordFromStdin(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('Password (input is shown; pipe it to hide): ');
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    lines.close();
    return line;
  }
  throw new UsageError('no password on stdin');
}
