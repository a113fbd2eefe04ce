/**
 * `kalkan serve`: the filtering DNS resolver.
 *
 *   kalkan serve [--config FILE] [--listen HOST:PORT]... [--upstream HOST:PORT]...
 *                [--list FILE.klb]... [--trust PUB]... [--status HOST:PORT]
 *   kalkan serve --check --config FILE
 *
 * Without --config the embedded default applies. Flags replace the config's values.
 * SIGHUP reloads the lists; SIGINT/SIGTERM stop gracefully.
 */
import { resolve } from 'node:path';
import { pino } from 'pino';
import { loadBundleFile, readPublicKeys } from '../lists/files.js';
import { formatHostPort } from '../net/host-port.js';
import { isClusterPrimary, runPrimary } from '../serve/cluster.js';
import {
  type Config,
  ConfigError,
  configSchema,
  readConfigFile,
  systemUpstreams,
} from '../serve/config.js';
import { defaultConfig } from '../serve/default-config.js';
import { ResolverServer } from '../serve/server.js';
import { parse, UsageError } from './usage.js';

const USAGE = `Usage: kalkan serve [--config FILE] [--listen HOST:PORT]... [--upstream HOST:PORT]...
                    [--list FILE.klb]... [--trust PUB]... [--status HOST:PORT]
       kalkan serve --check --config FILE`;

export async function serveCommand(args: string[]): Promise<number> {
  const { values } = parse(
    args,
    {
      config: { type: 'string' },
      listen: { type: 'string', multiple: true },
      upstream: { type: 'string', multiple: true },
      list: { type: 'string', multiple: true },
      trust: { type: 'string', multiple: true },
      status: { type: 'string' },
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
      return 1;
    }
    throw error;
  }
  if (config.upstreams.length === 0) {
    // Never forward to ourselves: a machine whose resolv.conf names this server would loop.
    const own = new Set(config.listen.map(formatHostPort));
    config.upstreams = (await systemUpstreams()).filter((u) => !own.has(formatHostPort(u)));
  }
  if (values.check) return check(config);
  if (isClusterPrimary(config.workers)) return runPrimary(config.workers);

  const log = pino({ level: config.logLevel, base: { service: 'kalkan-serve' } });
  const server = await ResolverServer.create(config, log);
  await server.start();
  process.on('SIGHUP', () => {
    log.info('SIGHUP: reloading lists');
    void server.reload('SIGHUP');
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
  },
): Config {
  const flagged = {
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

/** --check: the config is valid, the keys read, every list file verifies, the rpz: zones build. */
async function check(config: Config): Promise<number> {
  const trustedKeys = await readPublicKeys(config.trust);
  let failed = 0;
  for (const list of config.lists) {
    if (!('file' in list)) {
      console.log(`list ${list.url}: subscription (fetched when serving)`);
      continue;
    }
    try {
      const b = await loadBundleFile(list.file, { trustedKeys });
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
  if (config.reports) {
    const { readUnitPublicKey } = await import('../reports/settings.js');
    try {
      await readUnitPublicKey(config.reports.unitKey);
      console.log(`reports: to ${config.reports.intake} (unit key ok)`);
    } catch (error) {
      failed++;
      console.error(`reports: ${(error as Error).message}`);
    }
  }
  if (config.upstreams.length === 0)
    console.error('warning: no upstreams (none configured, none in /etc/resolv.conf)');
  console.log(failed ? 'config has problems' : 'config ok');
  return failed ? 1 : 0;
}
