/**
 * Signed plaintext lists made the way a publisher makes them: `kalkan lists keygen` once, then
 * `kalkan lists build` of an AdBlock source (`||name^` blocks, `@@||name^` allows) per version,
 * written beside the target and renamed over it, so a watcher never reads half a file.
 */
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runKalkan } from './kalkan-process.js';

export interface CliPublisher {
  dir: string;
  publicKey: string;
  /** Builds `block`/`allow` (and exact names, `|name^`) as list version `sequence` into `out`. */
  build(
    out: string,
    sequence: number,
    block: string[],
    allow?: string[],
    exact?: { block?: string[]; allow?: string[] },
  ): Promise<void>;
  /** `kalkan lists export` of a list, in `format`; returns the file written and the warnings. */
  export(
    list: string,
    format: string,
    out: string,
    zone?: string,
  ): Promise<{ file: string; stderr: string }>;
  /** `kalkan lists lookup NAME`: "blocked …" or "allowed". */
  lookup(list: string, name: string): Promise<string>;
}

async function kalkan(args: string[]): Promise<{ stdout: string; stderr: string }> {
  const result = await runKalkan(args);
  if (result.code !== 0)
    throw new Error(`kalkan ${args.join(' ')} exited ${result.code}:\n${result.stderr}`);
  return result;
}

export async function cliPublisher(dir: string): Promise<CliPublisher> {
  await kalkan(['lists', 'keygen', '--out', join(dir, 'keys')]);
  const publicKey = join(dir, 'keys', 'publisher.pub');
  return {
    dir,
    publicKey,
    async build(out, sequence, block, allow = [], exact = {}) {
      const source = join(dir, `source-${sequence}.txt`);
      const lines = [
        ...block.map((d) => `||${d}^`),
        ...allow.map((d) => `@@||${d}^`),
        ...(exact.block ?? []).map((d) => `|${d}^`),
        ...(exact.allow ?? []).map((d) => `@@|${d}^`),
      ];
      await writeFile(source, `${lines.join('\n')}\n`);
      await kalkan([
        'lists',
        'build',
        source,
        '--format',
        'adblock',
        '--id',
        'isp-test',
        '--category',
        'abuse',
        '--sequence',
        String(sequence),
        '--key',
        join(dir, 'keys', 'publisher.key'),
        '--plaintext',
        '-o',
        `${out}.tmp`,
      ]);
      await rename(`${out}.tmp`, out);
    },
    async export(list, format, out, zone) {
      const { stderr } = await kalkan([
        'lists',
        'export',
        list,
        '--trust',
        publicKey,
        '--format',
        format,
        ...(zone ? ['--zone', zone] : []),
        '-o',
        out,
      ]);
      return { file: out, stderr };
    },
    async lookup(list, name) {
      const { stdout } = await kalkan([
        'lists',
        'lookup',
        name,
        '--list',
        list,
        '--trust',
        publicKey,
      ]);
      return stdout.trim();
    },
  };
}
