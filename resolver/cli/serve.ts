/**
 * `kalkan serve`: the filtering DNS resolver.
 *
 *   kalkan serve [--config FILE] [--listen HOST:PORT]... [--upstream HOST:PORT]...
 *                [--list FILE.klb]... [--trust PUB]... [--status HOST:PORT]
 *                [--dot HOST:PORT]... [--doh HOST:PORT]... [--tls-cert CERT.pem --tls-key KEY.pem]
 *   kalkan serve --check --config FILE
 *   kalkan serve lists reset ID|SOURCE [--config FILE]
 *   kalkan serve user add NAME [--config FILE] [--password-file FILE]
 *
 * Without --config the embedded default applies. Flags replace the config's values.
 * SIGHUP re-reads the config (local rules take effect; --check's checks first) and the lists; SIGINT/SIGTERM stop gracefully. Any problem that stops it from
 * serving (a bad key, a port taken, an address not up, a directory it cannot write) ends the
 * process with exit code 1 and one line naming the key, so a supervisor restarts or reports it.
 * Under systemd (Type=notify) it says READY=1 once it answers.
 */
import cluster from 'node:cluster';
import { join, resolve } from 'node:path';
import { type Logger, pino } from 'pino';
import { loadBundleFile, readPublicKeys } from '../lists/files.js';
import { LastGoodStore } from '../lists/store.js';
import { formatHostPort } from '../net/host-port.js';
import { isClusterPrimary, onConfigChangedElsewhere, runPrimary } from '../serve/cluster.js';
import {
  type Config,
  ConfigError,
  configSchema,
  readConfigFile,
  systemUpstreams,
} from '../serve/config.js';
import { defaultConfig } from '../serve/default-config.js';
import { keyOfAddress, preflight, why } from '../serve/preflight.js';
import { ResolverServer } from '../serve/server.js';
import { releaseStartupPages } from '../serve/startup-pages.js';
import { notifyReady } from '../serve/systemd-notify.js';
import { parse, UsageError } from './usage.js';

const USAGE = `Usage: kalkan serve [--config FILE] [--listen HOST:PORT]... [--upstream HOST:PORT]...
                    [--list FILE.klb]... [--trust PUB]... [--status HOST:PORT]
                    [--dot HOST:PORT]... [--doh HOST:PORT]... [--tls-cert CERT.pem --tls-key KEY.pem]
       kalkan serve --check --config FILE
       kalkan serve lists reset ID|SOURCE [--config FILE]
       kalkan serve user add NAME [--config FILE] [--password-file FILE]`;

export async function serveCommand(args: string[]): Promise<number> {
  if (args[0] === 'lists') return listsReset(args.slice(1));
  if (args[0] === 'user') return (await import('./serve-user.js')).serveUserCommand(args.slice(1));
  const { values } = parse(
    args,
    {
      config: { type: 'string' },
      listen: { type: 'string', multiple: true },
      upstream: { type: 'string', multiple: true },
      list: { type: 'string', multiple: true },
      trust: { type: 'string', multiple: true },
      status: { type: 'string' },
      dot: { type: 'string', multiple: true },
      doh: { type: 'string', multiple: true },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      check: { type: 'boolean' },
      help: { type: 'boolean' },
    },
    USAGE,
  );
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (values.check && !values.config) throw new UsageError(`--check needs --config FILE\n${USAGE}`);
  let config: Config;
  try {
    config = values.config ? await readConfigFile(values.config) : defaultConfig();
    config = withFlags(config, values);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      if (values.check) console.log('config has problems');
      return 1;
    }
    throw error;
  }
  if (config.upstreams.length === 0) {
    // Never forward to ourselves: a machine whose resolv.conf names this server would loop.
    const own = new Set(config.listen.map(formatHostPort));
    config.upstreams = (await systemUpstreams()).filter((u) => !own.has(formatHostPort(u)));
  }
  // Workers were checked by the primary, which forked them only if all was well.
  const problems = cluster.isWorker
    ? []
    : await preflight(config, { trialBind: values.check !== true });
  if (values.check) return check(config, problems);
  for (const line of problems) console.error(`kalkan serve: ${line}`);
  if (problems.length > 0) return 1;
  const handBackStartupPages = (log?: Logger) => {
    if (config.memory.releaseStartupPages) releaseStartupPages(log);
  };
  if (isClusterPrimary(config.workers)) return runPrimary(config.workers, handBackStartupPages);

  const log = pino({ level: config.logLevel, base: { service: 'kalkan-serve' } });
  const fatal = (error: unknown): never => {
    // One line a supervisor shows, then out: a half-started server must not look alive.
    console.error(`kalkan serve: ${describe(config, error)}`);
    log.fatal({ error: (error as Error).message }, 'stopping on a fatal error');
    process.exit(1);
  };
  process.on('uncaughtException', fatal);
  process.on('unhandledRejection', fatal);
  let server: ResolverServer;
  try {
    server = await ResolverServer.create(config, log, values.config && resolve(values.config));
    await server.start();
  } catch (error) {
    return fatal(error);
  }
  if (cluster.isWorker) process.send?.({ kalkan: 'ready' });
  else notifyReady(log);
  handBackStartupPages(log);
  onConfigChangedElsewhere(() => void server.reloadConfig('console (another worker)'));
  process.on('SIGHUP', () => {
    log.info('SIGHUP: reloading the config and the lists');
    void server
      .reloadConfig('SIGHUP')
      .then(() => server.reload('SIGHUP'))
      .then(() => handBackStartupPages(log));
  });
  await new Promise<void>((done) => {
    const stop = (signal: string) => {
      log.info({ signal }, 'stopping');
      void server.stop().then(done);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  log.info('stopped');
  // Anything a client still holds open must not keep the process alive.
  setTimeout(() => process.exit(0), 500).unref();
  return 0;
}

function withFlags(
  config: Config,
  values: {
    listen?: string[];
    upstream?: string[];
    list?: string[];
    trust?: string[];
    status?: string;
    dot?: string[];
    doh?: string[];
    'tls-cert'?: string;
    'tls-key'?: string;
  },
): Config {
  const certFlag = values['tls-cert'];
  const keyFlag = values['tls-key'];
  if ((certFlag === undefined) !== (keyFlag === undefined) && !config.tls)
    throw new UsageError(`--tls-cert and --tls-key go together\n${USAGE}`);
  const tls = (certFlag ?? keyFlag) !== undefined && {
    tls: {
      ...config.tls,
      ...(certFlag && { cert: resolve(certFlag) }),
      ...(keyFlag && { key: resolve(keyFlag) }),
    },
  };
  const flagged = {
    ...(values.dot && { dot: values.dot }),
    ...(values.doh && { doh: values.doh }),
    ...tls,
    ...(values.listen && { listen: values.listen }),
    ...(values.upstream && { upstreams: values.upstream }),
    ...(values.list && { lists: values.list.map((f) => ({ file: resolve(f) })) }),
    ...(values.trust && { trust: values.trust.map((f) => resolve(f)) }),
    ...(values.status && { status: values.status }),
  };
  // The flags go through the config's own schema for their keys: one parser for both.
  const keys = Object.fromEntries(Object.keys(flagged).map((k) => [k, true])) as {
    [K in keyof typeof flagged]?: true;
  };
  const result = configSchema.pick(keys).safeParse(flagged);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new UsageError(`--${String(issue?.path[0] ?? '')}: ${issue?.message}\n${USAGE}`);
  }
  return { ...config, ...result.data };
}

/** A start error as one line naming the key: a bind error names the listener's key. */
function describe(config: Config, error: unknown): string {
  const e = error as NodeJS.ErrnoException & { address?: string; port?: number };
  if (e.syscall === 'bind' || e.syscall === 'listen') {
    const key = e.address && e.port ? keyOfAddress(config, e.address, e.port) : undefined;
    return `${key ?? 'listen'}: cannot listen on ${e.address}:${e.port}: ${why(e)}`;
  }
  return (e as Error).message ?? String(error);
}

/** `kalkan serve lists reset ID`: forget a list's last good copy (by list id, path or URL). */
async function listsReset(args: string[]): Promise<number> {
  const { values, positionals } = parse(
    args,
    { config: { type: 'string' } },
    `${USAGE}\n\nlists reset: deletes the last good copy of the list with that id (or path or URL)\nin the data directory; restart kalkan serve afterwards to load it afresh.`,
  );
  if (positionals[0] !== 'reset' || positionals.length !== 2)
    throw new UsageError(`expected: kalkan serve lists reset ID|SOURCE [--config FILE]\n${USAGE}`);
  const which = positionals[1] as string;
  const config = values.config ? await readConfigFile(values.config) : defaultConfig();
  const dir = join(config.dataDir as string, 'lists');
  const removed = await new LastGoodStore(dir).reset(which);
  if (removed.length === 0) {
    console.error(`no last good copy of ${which} in ${dir}`);
    return 1;
  }
  for (const source of removed) console.log(`removed the last good copy of ${source}`);
  console.log('restart kalkan serve (systemctl restart kalkan-resolver) to load it afresh');
  return 0;
}

/**
 * --check: every check `serve` makes before it starts (preflight, but no trial bind: a running
 * server holds its ports), then the keys read, every list file verifies as the list its entry
 * expects, the rpz: zones build, the unit key reads.
 */
async function check(config: Config, problems: readonly string[]): Promise<number> {
  let failed = problems.length;
  for (const line of problems) console.error(line);
  // A key that does not read is among the problems already.
  const trustedKeys = await readPublicKeys(config.trust).catch(() => [] as Uint8Array[]);
  for (const list of config.lists) {
    if (!('file' in list)) {
      console.log(`list ${list.url}: subscription (fetched when serving)`);
      continue;
    }
    try {
      const b = await loadBundleFile(list.file, {
        trustedKeys,
        ...(list.id && { expectedId: list.id }),
        ...(list.category && { expectedCategory: list.category }),
      });
      console.log(
        `list ${list.file}: ok (${b.meta.id}, ${b.meta.category}, sequence ${b.meta.sequence})`,
      );
    } catch (error) {
      failed++;
      console.error(`list ${(error as Error).message}`);
    }
  }
  const { checkRpzSection } = await import('../serve/rpz-primaries.js');
  for (const section of config.rpz) {
    try {
      console.log(`rpz ${await checkRpzSection(config, section)}`);
    } catch (error) {
      failed++;
      console.error(`rpz ${section.zone}: ${(error as Error).message}`);
    }
  }
  if (config.reports && !problems.some((p) => p.startsWith('reports.unitKey:')))
    console.log(`reports: to ${config.reports.intake} (unit key ok)`);
  if (config.upstreams.length === 0)
    console.error('warning: no upstreams (none configured, none in /etc/resolv.conf)');
  console.log(failed ? 'config has problems' : 'config ok');
  return failed ? 1 : 0;
}
