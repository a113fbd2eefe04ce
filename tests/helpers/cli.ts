/** Runs the built `kalkan` command as a child process, as a person would. */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const KALKAN = fileURLToPath(new URL('../../build/resolver/cli/kalkan.js', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function kalkan(
  args: string[],
  options: { env?: NodeJS.ProcessEnv } = {},
): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [KALKAN, ...args],
      { env: { ...process.env, ...options.env } },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
