/** Argument parsing shared by every subcommand: Node's parseArgs, with errors people can read. */
import { type ParseArgsConfig, parseArgs } from 'node:util';

export class UsageError extends Error {
  override name = 'UsageError';
}

type Options = NonNullable<ParseArgsConfig['options']>;

export function parse<T extends Options>(args: string[], options: T, usage: string) {
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
  if (name === undefined || name === '--help') {
    console.log(usage);
    return 0;
  }
  const sub = Object.hasOwn(subcommands, name) ? subcommands[name] : undefined;
  if (!sub) throw new UsageError(`unknown subcommand "${name}"\n${usage}`);
  return sub(rest);
}
