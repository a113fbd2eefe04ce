/**
 * The optional plaintext section: one expression a line, `+` for block and `-` for allow,
 * block lines first, each group sorted.
 */
import type { Expressions } from './build.js';

export function encodePlaintext(block: Iterable<string>, allow: Iterable<string>): Uint8Array {
  const lines = [
    ...[...block].sort().map((e) => `+${e}`),
    ...[...allow].sort().map((e) => `-${e}`),
  ];
  return new TextEncoder().encode(lines.length ? `${lines.join('\n')}\n` : '');
}

export function decodePlaintext(bytes: Uint8Array): Expressions {
  const block: string[] = [];
  const allow: string[] = [];
  for (const line of new TextDecoder().decode(bytes).split('\n')) {
    if (line.startsWith('+')) block.push(line.slice(1));
    else if (line.startsWith('-')) allow.push(line.slice(1));
  }
  return { block, allow };
}
