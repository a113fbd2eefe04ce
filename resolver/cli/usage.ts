/** Argument parsing shared by every subcommand: Node's parseArgs, with errors people can read. */
import { type ParseArgsConfig, parseArgs } from 'node:util';

export class UsageError extends Error {
  override name = 'UsageError';
}

/** `--help` or `-h` was given: kalkan prints the usage (the message) and exits 0. */
export class HelpRequested extends Error {
  override name = 'HelpRequested';
}

/** Throws HelpRequested when `args` ask for help (before any `--`). */
export function checkHelp(args: readonly string[], usage: string): void {
  const end = args.indexOf('--');
  const options = end < 0 ? args : args.slice(0, end);
  if (options.includes('--help') || options.includes('-h')) throw new HelpRequested(usage);
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** Parses `args` (after the subcommand); `--help` anywhere shows `usage` instead. */
export function parse<T extends Options>(args: string[], options: T, usage: string) {
  checkHelp(args, usage);
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n${usage}`);
  }
}

export function required<T>(value: T | undefined, flag: string, usage: string): T {
  if (value === undefined) throw new UsageError(`missing ${flag}\n${usage}`);
  return value;
}

export function integer(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0)
    throw new UsageError(`${flag} must be a whole number, got "${value}"`);
  return n;
}

export type Subcommand = (args: string[]) => Promise<number>;

/** Runs `args[0]` from `subcommands` with the rest; prints `usage` for none or `--help`. */
export async function runSubcommand(
  subcommands: Record<string, Subcommand>,
  args: string[],
  usage: string,
): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined) {
    console.log(usage);
    return 0;
  }
  checkHelp([name], usage);
  const sub = Object.hasOwn(subcommands, name) ? subcommands[name] : undefined;
  if (!sub) throw new UsageError(`unknown subcommand "${name}"\n${usage}`);
  return sub(rest);
}
