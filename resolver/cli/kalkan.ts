#!/usr/bin/env node
/** `kalkan`: one command, a subcommand per job. */
import { HelpRequested, UsageError } from './usage.js';

const USAGE = `Usage: kalkan <command> ...

Commands:
  lists     build, sign, verify, inspect, look up and export list bundles
  rpz       serve a plaintext list as an RPZ zone to ISP DNS servers (AXFR/IXFR, NOTIFY, TSIG)
  demo      build a demo list from reserved .test names and look names up in it
  serve     run the filtering DNS resolver
  reports   report a URL to the unit (sealed, queued durably) and manage the outbox
  intake    the unit's report intake: keys, server, analyst accounts, export, promote

Run "kalkan <command> --help" for a command's options.`;

// Each command is imported when used, so `kalkan serve` starts without loading the others.
const commands: Record<string, (args: string[]) => Promise<number>> = {
  lists: async (args) => (await import('./lists.js')).listsCommand(args),
  rpz: async (args) => (await import('./rpz.js')).rpzCommand(args),
  demo: async (args) => (await import('./demo.js')).demoCommand(args),
  serve: async (args) => (await import('./serve.js')).serveCommand(args),
  reports: async (args) => (await import('./reports.js')).reportsCommand(args),
  intake: async (args) => (await import('./intake.js')).intakeCommand(args),
};

/** The oldest Node this runs on (package.json "engines"): checked first, said plainly. */
const NODE_NEEDED: [number, number] = [20, 19];

function nodeTooOld(): boolean {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  return major < NODE_NEEDED[0] || (major === NODE_NEEDED[0] && minor < NODE_NEEDED[1]);
}

async function main(argv: string[]): Promise<number> {
  if (nodeTooOld()) {
    console.error(
      `kalkan needs Node.js ${NODE_NEEDED.join('.')} or newer; ${process.execPath} is ${process.version}. Install a newer Node or set NODE= (see docs/operating-the-resolver.md, "Install").`,
    );
    return 1;
  }
  const [name, ...rest] = argv;
  const command = name === undefined ? undefined : commands[name];
  if (!command) {
    console.log(USAGE);
    return name === undefined || name === '--help' || name === '-h' ? 0 : 2;
  }
  try {
    return await command(rest);
  } catch (error) {
    if (error instanceof HelpRequested) {
      console.log(error.message);
      return 0;
    }
    if (error instanceof UsageError) {
      console.error(`kalkan ${name}: ${error.message}`);
      return 2;
    }
    console.error(`kalkan ${name}: ${(error as Error).message}`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
