/**
 * `kalkan serve` assembled: the pipeline (pipeline.ts), the UDP and TCP listeners on every
 * address, the DoT and DoH listeners with their certificate, the list manager, the status page. start() answers only once the lists are loaded;
 * stop() closes listeners, waits briefly for answers in flight, and saves the daily counts.
 */
import cluster from 'node:cluster';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Server as NetServer } from 'node:net';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { LocalRules } from '../console/local-rules.js';
import { readPublicKeys } from '../lists/files.js';
import { ListManager } from '../lists/manager.js';
import { ipv4Bytes, ipv6Bytes } from '../net/address-bytes.js';
import { AddressSet } from '../net/address-set.js';
import { formatHostPort } from '../net/host-port.js';
import { ClientPolicies, type ClientPolicySettings } from '../policies/client-policies.js';
import type { ReportService } from '../reports/service.js';
import { workerIndex } from './cluster.js';
import type { Config } from './config.js';
import type { Policy } from './context.js';
import type { Metrics } from './metrics.js';
import { buildPipeline } from './pipeline.js';
import { findProblems, type Problems } from './problems.js';
import type { NamedPrimary } from './rpz-primaries.js';
import { CheckAnswer, checkAddresses } from './setup/check-answer.js';
import type { ListLookup } from './stages/blocklist.js';
import { CacheStage } from './stages/cache.js';
import { Stats } from './stats.js';
import { ProxyGate } from './transport/proxy.js';
import { listenTcp } from './transport/tcp.js';
import type { TlsCertificate } from './transport/tls-context.js';
import type { UdpListener } from './transport/udp.js';
import { udpTransport } from './transport/udp-io.js';
import { Forwarder } from './upstream.js';

export class ResolverServer {
  readonly stats: Stats;
  readonly lists: ListManager;
  readonly forwarder: Forwarder;
  readonly cache: CacheStage;
  /** The console's allow and block entries (config `localRules:`), swapped on reload. */
  readonly localRules: LocalRules;
  /** Devices, policies and their schedules (config `devices:`, `policies:`), swapped on reload. */
  readonly clientPolicies: ClientPolicies;
  private readonly udp: UdpListener[] = [];
  private readonly tcp: NetServer[] = [];
  private status: import('node:http').Server | undefined;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly startedAt = new Date();
  private reports: ReportService | undefined;
  private rpz: NamedPrimary[] = [];
  private certificate: TlsCertificate | undefined;

  constructor(
    readonly config: Config,
    private readonly log: Logger,
    trustedKeys: Uint8Array[],
    /** The file config was read from: the console edits it, SIGHUP re-reads it. */
    readonly configPath?: string,
  ) {
    this.localRules = new LocalRules(config.localRules, new Set(config.block.blockedCategories));
    this.clientPolicies = new ClientPolicies(clientPolicySettings(config));
    this.stats = new Stats(Date.now, config.timeZone);
    this.lists = new ListManager({
      sources: config.lists.map((l) => ({
        location: 'file' in l ? l.file : l.url,
        id: l.id,
        category: l.category,
        required: l.required,
      })),
      trustedKeys,
      dataDir: join(config.dataDir as string, 'lists'),
      categorySets: this.clientPolicies.all.map((p) => p.categories),
      logger: log,
    });
    this.forwarder = new Forwarder({
      upstreams: config.upstreams,
      timeoutMs: config.upstreamTimeoutMs,
      attempts: config.upstreamAttempts,
      onLatency: (upstream, seconds) => this.metrics?.observeUpstream(upstream, seconds),
      onStateChange: (upstream, up, reason) =>
        up
          ? log.info({ upstream: upstream.label }, 'upstream is answering again')
          : log.error(
              { upstream: upstream.label, reason },
              'upstream down; retrying it in the background',
            ),
      randomCase: config.upstream0x20,
    });
    this.cache = new CacheStage(config.cache, this.stats);
  }

  private metrics: Metrics | undefined;

  static async create(config: Config, log: Logger, configPath?: string): Promise<ResolverServer> {
    return new ResolverServer(config, log, await readPublicKeys(config.trust), configPath);
  }

  /**
   * Each worker process keeps its own daily counts; the first one serves the status page and runs
   * the RPZ primaries and the report deliverer.
   */
  private readonly worker = workerIndex();
  private get countsFile(): string {
    const name = this.worker === 0 ? 'counts.json' : `counts-worker-${this.worker}.json`;
    return join(this.config.dataDir as string, name);
  }

  async start(): Promise<void> {
    const { config, stats, log, countsFile } = this;
    await stats.load(countsFile).catch(() => {});
    const listsStarted = performance.now();
    await this.lists.start();
    const listsMs = Math.round(performance.now() - listsStarted);
    this.lists.watchFiles();
    // One RPZ primary and one report deliverer per machine: with workers, the first one runs them.
    if (config.rpz.length > 0 && this.worker === 0) {
      const { startRpzPrimaries } = await import('./rpz-primaries.js');
      this.rpz = await startRpzPrimaries(config, log).catch((error: Error) => {
        this.lists.close();
        throw error;
      });
    }
    if (config.reports && this.worker === 0) {
      const { startReports } = await import('./reports.js');
      this.reports = await startReports(config.reports, config.dataDir as string, log);
    }
    const lookup: ListLookup = {
      match: (name, policy) =>
        this.localRules.decide(name, policy, this.lists.matcherFor(policy?.categories).match(name)),
    };
    const acl = new AddressSet(config.acl);
    const encrypted = await this.encryptedParts();
    const { handle, fast } = buildPipeline({
      acl,
      rateLimit: config.rateLimit,
      policies: this.clientPolicies,
      ...(encrypted && { ddr: encrypted.ddr }),
      lists: lookup,
      // A list swap, a local rule or a schedule window: what the fast path learnt is stale.
      listGeneration: () =>
        this.lists.generation + this.localRules.generation + this.clientPolicies.generation,
      namesSeen: config.memory.namesSeen,
      ...(config.whenListsMissing === 'servfail' && { readiness: this.lists }),
      block: {
        mode: config.block.mode,
        ipv4: ipv4Bytes(config.block.sinkholeIPv4),
        ipv6: ipv6Bytes(config.block.sinkholeIPv6),
        ttl: config.block.ttl,
        blockedCategories: new Set(config.block.blockedCategories),
        nxdomainCategories: new Set(config.block.nxdomainCategories),
      },
      check: new CheckAnswer(
        config.setup.checkName,
        checkAddresses(config.setup.checkAddresses, config.status),
      ),
      cache: this.cache,
      upstream: this.forwarder,
      stats,
      log,
      ...(config.queryLog && { queryLog: log.child({ kind: 'query-log' }) }),
    });
    const proxy = new ProxyGate(
      config.proxyProtocol ? new AddressSet(config.proxyProtocol.from) : undefined,
    );
    const streams = {
      accept: (address: string) => acl.has(address),
      idleTimeoutMs: config.tcp.idleTimeoutMs,
      maxConnections: config.tcp.maxConnections,
      maxInFlight: config.tcp.maxInFlightPerConnection,
      maxPerClient: config.tcp.maxConnectionsPerClient,
      maxConnectionMs: config.tcp.maxConnectionMs,
      ...(proxy.enabled && { proxy }),
    };
    const listenUdp = udpTransport(config.udpIo, log, cluster.isWorker);
    // Behind a balancer every datagram carries a header: the fast path (raw bytes) stands aside.
    const udpHandle = proxy.enabled ? proxy.datagrams(handle) : handle;
    const udpFast = proxy.enabled ? undefined : fast;
    for (const { host, port } of config.listen) {
      this.udp.push(await listenUdp(host, port, udpHandle, udpFast));
      this.tcp.push(await listenTcp(host, port, handle, streams));
    }
    if (encrypted) {
      const tlsOptions = { ...streams, ...encrypted };
      // Loaded only when configured: node:tls and node:http2 cost ~2 MB resident each.
      const { listenTls } = await import('./transport/tls.js');
      for (const { host, port } of config.dot)
        this.tcp.push(await listenTls(host, port, handle, tlsOptions));
      const { listenDoh } = await import('./transport/doh.js');
      for (const { host, port } of config.doh)
        this.tcp.push(await listenDoh(host, port, handle, tlsOptions));
      encrypted.certificate.watch();
    }
    if (config.status && this.worker === 0) {
      // Loaded after DNS answers: prom-client and the page are not on the way to the first answer.
      const { createMetrics } = await import('./metrics.js');
      const { listenStatus } = await import('./status-server.js');
      const { ReportForm } = await import('./report-form.js');
      const { setupRoutes } = await import('./setup/routes.js');
      this.metrics = createMetrics(stats, () => this.lists, this.forwarder.health);
      if (this.rpz.length > 0)
        (await import('./rpz-metrics.js')).registerRpzMetrics(this.metrics.registry, this.rpz);
      this.status = await listenStatus(
        config.status.host,
        config.status.port,
        () => ({
          startedAt: this.startedAt,
          stats,
          lists: this.lists.summary(),
          sources: this.lists.sources,
          upstreams: this.forwarder.health,
          problems: this.problems(),
          listen: config.listen.map(formatHostPort),
          cacheEntries: this.cache.size,
          rpz: this.rpz.map(({ zone, primary }) => ({
            zone,
            listen: `${primary.address.host}:${primary.address.port}`,
            serial: primary.serial(),
            counters: primary.counters(),
          })),
        }),
        this.metrics,
        new ReportForm(this.reports, config.reportForm),
        config.statusHosts,
        setupRoutes(config.setup, config.status),
        this.staffConsole(),
      );
    }
    this.timers.push(
      setInterval(() => void this.lists.refresh('schedule'), config.refreshSeconds * 1000),
      // Schedules switch within SCHEDULE_TICK_MS of the minute they name.
      setInterval(() => this.clientPolicies.tick(), SCHEDULE_TICK_MS),
      setInterval(() => {
        stats.rollDay();
        void stats.save(countsFile).catch(() => {});
      }, 60_000),
    );
    for (const t of this.timers) t.unref();
    log.info(
      {
        listen: config.listen.map(formatHostPort),
        dot: config.dot.map(formatHostPort),
        doh: config.doh.map(formatHostPort),
        tlsName: this.certificate && this.serviceName(),
        upstreams: this.forwarder.health.map((u) => u.label),
        lists: this.lists.summary(),
        status: config.status && formatHostPort(config.status),
        rpz: this.rpz.map(({ zone, primary }) => ({ zone, serial: primary.serial() })),
        reports: config.reports?.intake,
        listsMs,
        startupMs: Math.round(process.uptime() * 1000),
      },
      'kalkan serve ready',
    );
  }

  /** The certificate, the service name and the DDR answer, when DoT or DoH is configured. */
  private async encryptedParts() {
    const { config } = this;
    if (!config.tls || config.dot.length + config.doh.length === 0) return undefined;
    const { TlsCertificate } = await import('./transport/tls-context.js');
    const { designation } = await import('./ddr.js');
    const certificate = await TlsCertificate.load(config.tls, this.log);
    this.certificate = certificate;
    const serviceName = this.serviceName();
    return {
      certificate,
      serviceName,
      ddr: designation(serviceName, config.dot, config.doh),
    };
  }

  /** `tls.name`, or the certificate's first DNS name (a wildcard's parent). */
  private serviceName(): string {
    const name = this.config.tls?.name ?? this.certificate?.names[0] ?? '';
    return name.replace(/^\*\./, '').toLowerCase();
  }

  /** What /healthz and the status page report: not ready (no filter) or degraded. */
  problems(): Problems {
    return findProblems(
      this.lists.missing(),
      this.lists.expired(),
      this.forwarder.health,
      this.config.whenListsMissing === 'serve',
    );
  }

  /**
   * The console's request handler. Fastify and its plugins load at the first console request
   * (that request waits, or gets 503 if they fail): loading them takes ~0.3 s of CPU and ~50 MB
   * of memory for a moment (~20 MB kept), which a resolver nobody administers never needs.
   */
  private staffConsole(): (req: IncomingMessage, res: ServerResponse) => void {
    void import('../console/accounts.js').then((m) =>
      m.warnIfNoStaff(this.config.dataDir as string, this.log),
    );
    let ready: Promise<(req: IncomingMessage, res: ServerResponse) => void> | undefined;
    return (req, res) => {
      if (!ready) {
        ready = import('../console/wiring.js').then((m) =>
          m.consoleFor(this, this.reports, this.log),
        );
        ready.catch((error: Error) =>
          this.log.error({ error: error.message }, 'console not started'),
        );
      }
      ready.then(
        (handle) => handle(req, res),
        () => res.writeHead(503, { 'content-type': 'text/plain' }).end('console not started\n'),
      );
    };
  }

  /** The policy a client address gets (check-a-name asks as a device would). */
  policyFor(client: string | undefined): Policy {
    return client ? this.clientPolicies.policyFor(client) : this.clientPolicies.fallback;
  }

  /**
   * Re-reads the config file (SIGHUP, a console change) with the checks of --check; a config
   * that fails them changes nothing. `localRules:` takes effect at once, without touching a
   * socket; other changed keys are named as waiting for a restart. Returns the problems.
   */
  async reloadConfig(reason: string): Promise<string[]> {
    if (!this.configPath) return [];
    const { readCheckedConfig } = await import('../console/config-file.js');
    const checked = await readCheckedConfig(this.configPath);
    if (!checked.ok) {
      this.log.error({ reason, problems: checked.problems }, 'config not reloaded');
      return checked.problems;
    }
    const next = checked.config;
    this.localRules.replace(next.localRules);
    this.clientPolicies.replace(clientPolicySettings(next));
    this.stats.timeZone = next.timeZone;
    const live = new Set([
      'localRules',
      'policies',
      'devices',
      'timeZone',
      'safeSearch',
      'upstreams',
      'dataDir',
    ]);
    const restart = (Object.keys(next) as (keyof Config)[]).filter(
      (key) => !live.has(key) && JSON.stringify(next[key]) !== JSON.stringify(this.config[key]),
    );
    Object.assign(this.config, {
      localRules: next.localRules,
      policies: next.policies,
      devices: next.devices,
      timeZone: next.timeZone,
      safeSearch: next.safeSearch,
    });
    this.log.info(
      {
        reason,
        localRules: next.localRules.length,
        ...(restart.length && { needRestart: restart }),
      },
      'config reloaded',
    );
    return [];
  }

  async reload(reason: string): Promise<void> {
    // A refused RPZ list keeps its zone and is logged by the primary; the lists go on.
    await Promise.all([
      this.lists.refresh(reason),
      ...this.rpz.map(({ zone, primary }) =>
        primary.reload().then(
          (result) => this.log.info({ zone, ...result, reason }, 'rpz reloaded'),
          () => undefined,
        ),
      ),
    ]);
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.lists.close();
    this.certificate?.close();
    await Promise.all([
      ...this.udp.map((s) => s.close()),
      ...this.tcp.map(
        (s) =>
          new Promise<void>((r) => {
            s.close(() => r());
            // Connections left open by clients get a moment to finish, then go.
            setTimeout(() => r(), 1000).unref();
          }),
      ),
      this.status ? new Promise<void>((r) => this.status?.close(() => r())) : undefined,
    ]);
    this.status?.closeAllConnections();
    this.forwarder.close();
    await Promise.all([this.reports?.stop(), ...this.rpz.map(({ primary }) => primary.close())]);
    await this.stats.save(this.countsFile).catch(() => {});
  }
}

const SCHEDULE_TICK_MS = 5000;

function clientPolicySettings(config: Config): ClientPolicySettings {
  return {
    policies: config.policies,
    devices: config.devices,
    safeSearch: config.safeSearch,
    timeZone: config.timeZone,
  };
}
