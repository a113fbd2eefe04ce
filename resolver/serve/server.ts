/**
 * `kalkan serve` assembled: the pipeline (pipeline.ts), the UDP and TCP listeners on every
 * address, the DoT and DoH listeners with their certificate, the list manager, the status page. start() answers only once the lists are loaded;
 * stop() closes listeners, waits briefly for answers in flight, and saves the daily counts.
 */
import cluster from 'node:cluster';
import type { Server as NetServer } from 'node:net';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { readPublicKeys } from '../lists/files.js';
import { ListManager } from '../lists/manager.js';
import { ipv4Bytes, ipv6Bytes } from '../net/address-bytes.js';
import { AddressSet } from '../net/address-set.js';
import { formatHostPort } from '../net/host-port.js';
import type { ReportService } from '../reports/service.js';
import { workerIndex } from './cluster.js';
import type { Config } from './config.js';
import type { Policy } from './context.js';
import type { Metrics } from './metrics.js';
import { buildPipeline } from './pipeline.js';
import type { NamedPrimary } from './rpz-primaries.js';
import type { ListLookup } from './stages/blocklist.js';
import { CacheStage } from './stages/cache.js';
import { Stats } from './stats.js';
import { ProxyGate } from './transport/proxy.js';
import { listenTcp } from './transport/tcp.js';
import { listenTls } from './transport/tls.js';
import type { TlsCertificate } from './transport/tls-context.js';
import type { UdpListener } from './transport/udp.js';
import { udpTransport } from './transport/udp-io.js';
import { Forwarder } from './upstream.js';

export class ResolverServer {
  readonly stats = new Stats();
  readonly lists: ListManager;
  readonly forwarder: Forwarder;
  readonly cache: CacheStage;
  private readonly udp: UdpListener[] = [];
  private readonly tcp: NetServer[] = [];
  private status: import('node:http').Server | undefined;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly startedAt = new Date();
  private readonly policies: { subnets: AddressSet; policy: Policy }[];
  private readonly fallback: Policy;
  private reports: ReportService | undefined;
  private rpz: NamedPrimary[] = [];
  private certificate: TlsCertificate | undefined;

  constructor(
    readonly config: Config,
    private readonly log: Logger,
    trustedKeys: Uint8Array[],
  ) {
    const categoriesOf = (c?: string[]) => (c ? new Set(c) : undefined);
    this.fallback = { name: 'default', categories: undefined, safeSearch: config.safeSearch };
    this.policies = config.policies.map((p) => ({
      subnets: new AddressSet(p.subnets),
      policy: {
        name: p.name,
        categories: categoriesOf(p.categories),
        safeSearch: p.safeSearch ?? config.safeSearch,
      },
    }));
    this.lists = new ListManager({
      sources: config.lists.map((l) => ({
        location: 'file' in l ? l.file : l.url,
        id: l.id,
        category: l.category,
        required: l.required,
      })),
      trustedKeys,
      dataDir: join(config.dataDir as string, 'lists'),
      categorySets: this.policies.map((p) => p.policy.categories),
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

  static async create(config: Config, log: Logger): Promise<ResolverServer> {
    return new ResolverServer(config, log, await readPublicKeys(config.trust));
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
      match: (name, policy) => this.lists.matcherFor(policy?.categories).match(name),
    };
    const acl = new AddressSet(config.acl);
    const encrypted = await this.encryptedParts();
    const { handle, fast } = buildPipeline({
      acl,
      rateLimit: config.rateLimit,
      policies: this.policies,
      fallback: this.fallback,
      devices: this.devicePolicies(),
      ...(encrypted && { ddr: encrypted.ddr }),
      lists: lookup,
      listGeneration: () => this.lists.generation,
      ...(config.whenListsMissing === 'servfail' && { readiness: this.lists }),
      block: {
        mode: config.block.mode,
        ipv4: ipv4Bytes(config.block.sinkholeIPv4),
        ipv6: ipv6Bytes(config.block.sinkholeIPv6),
        ttl: config.block.ttl,
        blockedCategories: new Set(config.block.blockedCategories),
      },
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
      );
    }
    this.timers.push(
      setInterval(() => void this.lists.refresh('schedule'), config.refreshSeconds * 1000),
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

  /** `devices:` with their policies (preflight checked the names). */
  private devicePolicies(): Map<string, Policy> {
    const byName = new Map(this.policies.map((p) => [p.policy.name, p.policy]));
    byName.set('default', this.fallback);
    return new Map(this.config.devices.map((d) => [d.id, byName.get(d.policy) ?? this.fallback]));
  }

  /** What /healthz and the status page report: not ready (no filter) or degraded. */
  problems(): { notReady: string[]; warnings: string[] } {
    const { notReady, warnings } = this.lists.problems();
    if (this.config.whenListsMissing === 'serve')
      for (const line of notReady.splice(0)) warnings.push(`${line}: serving UNFILTERED`);
    for (const u of this.forwarder.health)
      if (u.down) warnings.push(`upstream ${u.label} is down: ${u.lastError ?? ''}`);
    return { notReady, warnings };
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
