/**
 * Prometheus metrics. The hot path bumps plain numbers in Stats; these collectors read them when
 * /metrics is scraped, so counting costs nothing per query. Only upstream latency is observed
 * directly (on cache misses).
 */
import type { ListManager } from '../lists/manager.js';
import { Counter, Gauge, Histogram, Registry } from '../net/prometheus.js';
import type { Stats } from './stats.js';
import type { UpstreamHealth } from './upstream.js';

export interface Metrics {
  registry: Registry;
  observeUpstream(upstream: string, seconds: number): void;
}

export function createMetrics(
  stats: Stats,
  lists: () => ListManager | undefined,
  upstreams: readonly UpstreamHealth[] = [],
): Metrics {
  const registry = new Registry();
  const counter = (name: string, help: string, read: () => number) =>
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(read());
      },
    });
  counter('kalkan_queries_total', 'DNS queries received (well-formed)', () => stats.queries);
  counter('kalkan_cache_hits_total', 'Answers served from the cache', () => stats.cacheHits);
  counter(
    'kalkan_cache_misses_total',
    'Queries the cache could not answer',
    () => stats.cacheMisses,
  );
  counter(
    'kalkan_rate_limited_total',
    'Queries refused by the per-client rate limit',
    () => stats.rateLimited,
  );
  counter('kalkan_refused_total', 'Queries refused by the ACL', () => stats.refused);
  counter(
    'kalkan_name_table_hits_total',
    "UDP queries whose name the fast path's name table knew",
    () => stats.nameTableHits,
  );
  counter(
    'kalkan_name_table_misses_total',
    'UDP queries whose name the fast path had to classify (and then remembered)',
    () => stats.nameTableMisses,
  );
  counter('kalkan_servfail_total', 'SERVFAIL answers (no upstream answered)', () => stats.servfail);
  new Counter({
    name: 'kalkan_blocked_total',
    help: 'Queries blocked, by category',
    labelNames: ['category'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [category, n] of stats.blocked) this.inc({ category }, n);
    },
  });
  new Counter({
    name: 'kalkan_device_queries_total',
    help: 'Queries over DoT/DoH from each configured device id, and those blocked (counts only)',
    labelNames: ['device', 'outcome'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [device, n] of stats.devices) {
        this.inc({ device, outcome: 'answered' }, n.queries - n.blocked);
        this.inc({ device, outcome: 'blocked' }, n.blocked);
      }
    },
  });
  new Counter({
    name: 'kalkan_stage_failures_total',
    help: 'Queries answered SERVFAIL because a stage threw or rejected, by stage',
    labelNames: ['stage'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [stage, n] of stats.stageFailures) this.inc({ stage }, n);
    },
  });
  new Gauge({
    name: 'kalkan_list_sequence',
    help: 'Sequence number of each list in force',
    labelNames: ['list', 'category'],
    registers: [registry],
    collect() {
      this.reset();
      for (const s of lists()?.summary() ?? [])
        if (s.id) this.set({ list: s.id, category: s.category ?? '' }, s.sequence ?? 0);
    },
  });
  new Gauge({
    name: 'kalkan_list_entries',
    help: 'Entries (block + allow) of each list in force',
    labelNames: ['list'],
    registers: [registry],
    collect() {
      this.reset();
      for (const s of lists()?.summary() ?? []) if (s.id) this.set({ list: s.id }, s.entries);
    },
  });
  new Gauge({
    name: 'kalkan_list_generation',
    help: 'How many times the lists in force were swapped since start',
    registers: [registry],
    collect() {
      this.set(lists()?.generation ?? 0);
    },
  });
  new Gauge({
    name: 'kalkan_list_expiry_timestamp_seconds',
    help: 'When each list in force expires (Unix time); an expired list stays in force',
    labelNames: ['list', 'category'],
    registers: [registry],
    collect() {
      this.reset();
      for (const s of lists()?.summary() ?? [])
        if (s.id && s.expires)
          this.set({ list: s.id, category: s.category ?? '' }, Date.parse(s.expires) / 1000);
    },
  });
  new Gauge({
    name: 'kalkan_list_expires_in_days',
    help: 'Whole days until each list in force expires (negative: expired, still in force)',
    labelNames: ['list'],
    registers: [registry],
    collect() {
      this.reset();
      for (const s of lists()?.summary() ?? [])
        if (s.id && s.expiresInDays !== undefined) this.set({ list: s.id }, s.expiresInDays);
    },
  });
  new Gauge({
    name: 'kalkan_list_missing',
    help: 'Required lists with no usable copy (1): the filter is not ready',
    labelNames: ['source'],
    registers: [registry],
    collect() {
      this.reset();
      for (const s of lists()?.missing() ?? []) this.set({ source: s.location }, 1);
    },
  });
  new Gauge({
    name: 'kalkan_filter_ready',
    help: '1 when every required list has a usable copy',
    registers: [registry],
    collect() {
      this.set(lists()?.ready ? 1 : 0);
    },
  });
  new Gauge({
    name: 'kalkan_upstream_up',
    help: '1 while an upstream is not marked down (refused, unreachable)',
    labelNames: ['upstream'],
    registers: [registry],
    collect() {
      this.reset();
      for (const u of upstreams) this.set({ upstream: u.label }, u.down ? 0 : 1);
    },
  });
  const latency = new Histogram({
    name: 'kalkan_upstream_latency_seconds',
    help: 'Time for an upstream to answer',
    labelNames: ['upstream'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  return {
    registry,
    observeUpstream: (upstream, seconds) => latency.observe({ upstream }, seconds),
  };
}
