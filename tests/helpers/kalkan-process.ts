/** Running the built `kalkan` CLI as real processes in tests (build first: npm run build). */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const KALKAN = fileURLToPath(
  new URL('../../build/resolver/bundle/kalkan.js', import.meta.url),
);

function assertBuilt(): void {
  if (!existsSync(KALKAN)) throw new Error(`${KALKAN} is missing: run "npm run build" first`);
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `kalkan ARGS` to completion. */
export function runKalkan(
  args: string[],
  options: { input?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<RunResult> {
  assertBuilt();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [KALKAN, ...args], {
      env: { ...process.env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d;
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

export interface LongRunning {
  child: ChildProcess;
  output: () => string;
  /** Resolves when the output matches, rejects when the process exits first or time runs out. */
  waitFor: (pattern: RegExp, timeoutMs?: number) => Promise<RegExpMatchArray>;
  /** SIGTERM and wait; SIGKILL with `kill9`. */
  stop: (kill9?: boolean) => Promise<void>;
}

/** Starts `kalkan ARGS` in the background; the caller must stop it (afterAll). */
export function startKalkan(args: string[]): LongRunning {
  assertBuilt();
  const child = spawn(process.execPath, [KALKAN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const listeners = new Set<() => void>();
  const onData = (d: Buffer) => {
    output += d;
    for (const l of listeners) l();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    output: () => output,
    waitFor: (pattern, timeoutMs = 20_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const match = pattern.exec(output);
          if (match) {
            cleanup();
            resolve(match);
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`timed out waiting for ${pattern}; output:\n${output}`));
        }, timeoutMs);
        const onExit = () => {
          cleanup();
          reject(
            new Error(
              `kalkan ${args.join(' ')} exited (${child.exitCode}) before ${pattern}:\n${output}`,
            ),
          );
        };
        const cleanup = () => {
          clearTimeout(timer);
          listeners.delete(check);
          child.off('exit', onExit);
        };
        listeners.add(check);
        child.once('exit', onExit);
        check();
      }),
    stop: async (kill9 = false) => {
      if (child.exitCode === null && child.signalCode === null)
        child.kill(kill9 ? 'SIGKILL' : 'SIGTERM');
      await exited;
    },
  };
}
