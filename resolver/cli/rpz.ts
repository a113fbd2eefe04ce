/** `kalkan rpz serve`: the RPZ primary ISPs' DNS fleets pull the list from. */
import { readFile } from 'node:fs/promises';
import { readPublicKeys } from '../lists/files.js';
import { type HostPort, parseHostPort } from '../net/host-port.js';
import type { NotifyTarget } from '../rpz/notify.js';
import { startRpzPrimary } from '../rpz/server.js';
import { parseTsigKey } from '../rpz/tsig.js';
import { integer, parse, required, runSubcommand, UsageError } from './usage.js';

const USAGE = `Usage:
  kalkan rpz serve --listen HOST:PORT --zone NAME --list FILE.klb --trust PUB...
                   [--tsig-file FILE]... [--tsig NAME:ALG:SECRET]... [--notify HOST:PORT]...
                   [--allow-transfer CIDR]... [--allow-unsigned CIDR]...
                   [--ttl SECONDS] [--history N] [--data-dir DIR]

  Serves the plaintext list FILE.klb as the RPZ zone NAME: SOA over UDP and TCP, AXFR and
  IXFR over TCP, NOTIFY to each --notify secondary when a new sequence loads. The list is
  loaded again on SIGHUP and when the file changes.
  --allow-transfer  networks that may ask at all (default: loopback only)
  --tsig-file       require the TSIG key in FILE (one line NAME:ALG:SECRET; keep it mode 0600)
  --tsig            the same on the command line (the secret then shows in ps: prefer --tsig-file)
  --allow-unsigned  networks that may transfer without TSIG even so (secondaries without TSIG,
                    such as Unbound 1.17); NOTIFYs to them go unsigned
  --data-dir        keep the IXFR history here, so IXFR still works after a restart`;

export function rpzCommand(args: string[]): Promise<number> {
  return runSubcommand({ serve }, args, USAGE);
}

/** HOST:PORT, with [v6]:PORT for IPv6 (the config's parser). */
function hostPort(text: string, flag: string): HostPort {
  try {
    return parseHostPort(text);
  } catch (error) {
    throw new UsageError(`${flag} must be HOST:PORT: ${(error as Error).message}`);
  }
}

async function serve(args: string[]): Promise<number> {
  const { values } = parse(
    args,
    {
      listen: { type: 'string' },
      zone: { type: 'string' },
      list: { type: 'string' },
      trust: { type: 'string', multiple: true },
      tsig: { type: 'string', multiple: true },
      'tsig-file': { type: 'string', multiple: true },
      notify: { type: 'string', multiple: true },
      'allow-transfer': { type: 'string', multiple: true },
      'allow-unsigned': { type: 'string', multiple: true },
      ttl: { type: 'string' },
      history: { type: 'string' },
      'data-dir': { type: 'string' },
    },
    USAGE,
  );
  const listen = hostPort(required(values.listen, '--listen HOST:PORT', USAGE), '--listen');
  const notify: NotifyTarget[] = (values.notify ?? []).map((t) => hostPort(t, '--notify'));
  let tsigKeys: ReturnType<typeof parseTsigKey>[];
  try {
    tsigKeys = (values.tsig ?? []).map(parseTsigKey);
  } catch (error) {
    throw new UsageError(`--tsig: ${(error as Error).message}`);
  }
  for (const file of values['tsig-file'] ?? []) tsigKeys.push(await readTsigFile(file));
  const primary = await startRpzPrimary({
    listen,
    zone: required(values.zone, '--zone NAME', USAGE),
    listFile: required(values.list, '--list FILE.klb', USAGE),
    trustedKeys: await readPublicKeys(required(values.trust, '--trust PUB', USAGE)),
    tsigKeys,
    notify,
    ...(values['allow-transfer'] ? { allowTransfer: values['allow-transfer'] } : {}),
    ...(values['allow-unsigned'] ? { allowUnsigned: values['allow-unsigned'] } : {}),
    ...(values.ttl ? { ttl: integer(values.ttl, '--ttl') } : {}),
    ...(values.history ? { historyDepth: integer(values.history, '--history') } : {}),
    ...(values['data-dir'] ? { dataDir: values['data-dir'] } : {}),
    watch: true,
  });
  console.error(
    `rpz: serving on ${listen.host}:${primary.address.port} (udp+tcp), serial ${primary.serial()}`,
  );
  process.on('SIGHUP', () => {
    primary
      .reload()
      .then((r) =>
        console.error(`rpz: SIGHUP: ${r.changed ? `now serial ${r.serial}` : 'list unchanged'}`),
      )
      .catch(() => undefined);
  });
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await primary.close();
  return 0;
}

/** A TSIG key from a file, so the secret stays out of argv (and out of `ps`). */
async function readTsigFile(file: string): Promise<ReturnType<typeof parseTsigKey>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new UsageError(
      `--tsig-file ${file}: cannot read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  try {
    return parseTsigKey(text.trim());
  } catch (error) {
    throw new UsageError(`--tsig-file ${file}: ${(error as Error).message}`);
  }
}
