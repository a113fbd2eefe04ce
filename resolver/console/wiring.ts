/**
 * The console built from a running resolver: its local rules, lists, policies and upstreams,
 * the config file it was started with, and the report outbox for review requests.
 */
import dnsPacket from 'dns-packet';
import type { Logger } from 'pino';
import { parseQuery } from '../dns/query.js';
import type { ListManager } from '../lists/manager.js';
import type { ClientPolicies } from '../policies/client-policies.js';
import type { ReportService } from '../reports/service.js';
import { shareConfigChange } from '../serve/cluster.js';
import type { Config } from '../serve/config.js';
import type { Policy } from '../serve/context.js';
import type { Stats } from '../serve/stats.js';
import type { Forwarder } from '../serve/upstream.js';
import { StaffAccounts, staffFile } from './accounts.js';
import type { ActivityView } from './activity.js';
import { createConsole } from './app.js';
import { ConfigEditor } from './config-file.js';
import type { LocalRules } from './local-rules.js';
import type { NameReport, PolicyView } from './page.js';

/** What the console needs of the running resolver (server.ts passes itself). */
export interface ConsoleHost {
  readonly config: Config;
  readonly configPath?: string | undefined;
  readonly lists: ListManager;
  readonly localRules: LocalRules;
  readonly clientPolicies: ClientPolicies;
  readonly forwarder: Forwarder;
  readonly stats: Stats;
  policyFor(client: string | undefined): Policy;
  reloadConfig(reason: string): Promise<string[]>;
}

export async function consoleFor(
  server: ConsoleHost,
  reports: ReportService | undefined,
  log: Logger,
): Promise<Awaited<ReturnType<typeof createConsole>>> {
  return createConsole({
    accounts: new StaffAccounts(staffFile(server.config.dataDir as string)),
    editor: server.configPath ? new ConfigEditor(server.configPath) : undefined,
    rules: () => server.config.localRules,
    config: () => server.config,
    policiesNow: () => policiesNow(server),
    activity: () => activityOf(server),
    // The other workers (workers: N) read the file too, through the cluster's primary.
    reload: async () => {
      const problems = await server.reloadConfig('console');
      shareConfigChange();
      return problems;
    },
    listVerdict: (host) => server.lists.matcherFor(undefined).match(host),
    mayAllow: (category) => server.localRules.mayAllow(category),
    explain: (host, client) => explain(server, host, client),
    review: reports
      ? async (name, note) => {
          await reports.submit({
            url: `http://${name}/`,
            category: 'other',
            whereFound: 'other',
            kind: 'review_request',
            note: `Please review the block of ${name}.${note ? ` ${note}` : ''}`.slice(0, 500),
          });
          log.info({ kind: 'review_request' }, 'console: review request queued');
        }
      : undefined,
  });
}

async function explain(
  server: ConsoleHost,
  host: string,
  client: string | undefined,
): Promise<NameReport> {
  const policy = server.policyFor(client);
  const lists = server.lists.matcherFor(policy.categories).match(host);
  const rule = server.localRules.ruleFor(host);
  const final = server.localRules.decide(host, policy, lists);
  return {
    host,
    policy: policy.name,
    verdict: final.blocked ? 'blocked' : lists.blocked ? 'allowedLocally' : 'open',
    ...(final.blocked && { category: final.category, list: final.listId }),
    ...(!final.blocked && lists.blocked && { category: lists.category, list: lists.listId }),
    ...(rule && { localRule: `${rule.action} ${rule.name} (${rule.addedBy}: ${rule.note})` }),
    upstream: await upstreamAnswer(server, host),
  };
}

/** What the upstreams answer for A, asked directly (not through the lists or the cache). */
async function upstreamAnswer(server: ConsoleHost, host: string): Promise<NameReport['upstream']> {
  const query = dnsPacket.encode({
    type: 'query',
    id: Math.floor(Math.random() * 65_536),
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ type: 'A', name: host }],
  });
  const parsed = parseQuery(query);
  if (!parsed.ok) return { noAnswer: `rcode ${parsed.rcode}` };
  try {
    const answer = dnsPacket.decode(
      Buffer.from(await server.forwarder.resolve(query, parsed.question)),
    );
    const records = (answer.answers ?? []).map(
      (a) => `${a.type} ${String((a as { data?: unknown }).data)}`,
    );
    const rcode = (answer as { rcode?: string }).rcode ?? 'NOERROR';
    return { answer: `${rcode}${records.length ? `: ${records.join(', ')}` : ''}` };
  } catch (error) {
    return { noAnswer: (error as Error).message };
  }
}

function policiesNow(server: ConsoleHost): { policies: PolicyView[]; now: Date } {
  const { config, clientPolicies } = server;
  const policies = clientPolicies.all.map((p) => {
    const settings = config.policies.find((s) => s.name === p.name);
    return {
      name: p.name,
      subnets: settings?.subnets ?? [],
      schedule: settings?.schedule ?? [],
      nowBlocks: p.categories ? [...p.categories].sort() : undefined,
      nowSafeSearch: p.safeSearch,
    };
  });
  return { policies, now: new Date() };
}

const CHART_DAYS = 14;

function activityOf(server: ConsoleHost): ActivityView {
  const daily = [...server.stats.dailyCounts()].sort(([a], [b]) => a.localeCompare(b));
  const summary = server.lists.summary();
  return {
    timeZone: server.config.timeZone,
    now: new Date(),
    days: daily.slice(-CHART_DAYS).map(([day, counts]) => ({ day, counts })),
    lists: server.lists.sources.map((s, i) => ({
      id: s.bundle?.meta.id ?? s.expectedId ?? s.location,
      category: s.bundle?.meta.category ?? s.expectedCategory ?? '',
      entries: summary[i]?.entries ?? 0,
      created: s.bundle ? new Date(s.bundle.meta.created) : undefined,
      loadedAt: s.loadedAt,
      expires: s.bundle ? new Date(s.bundle.meta.expires) : undefined,
      lastRefusal:
        s.lastError === undefined ? undefined : { code: s.lastErrorCode, message: s.lastError },
    })),
    upstreams: server.forwarder.health.map((u) => ({
      label: u.label,
      state: u.down
        ? { kind: 'down' as const }
        : u.consecutiveFailures
          ? { kind: 'failing' as const, count: u.consecutiveFailures }
          : { kind: u.answered ? ('up' as const) : ('notAsked' as const) },
      lastRttMs: u.lastRttMs,
      lastError: u.lastError,
    })),
  };
}
