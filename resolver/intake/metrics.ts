/**
 * The intake's Prometheus metrics (`GET /metrics`): reports stored and refused by reason, bytes
 * stored against the cap, reports opened in memory. Aggregates only: no address, no URL.
 */
import { Counter, Gauge, Registry } from '../net/prometheus.js';
import type { OpenedReports } from './opened.js';
import type { IntakeStore } from './store.js';

export const REFUSAL_REASONS = [
  'rate_address',
  'rate_net64',
  'rate_global',
  'too_large',
  'store_full',
  'invalid',
] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

export interface IntakeMetrics {
  registry: Registry;
  stored(): void;
  refused(reason: RefusalReason): void;
}

export function createIntakeMetrics(
  store: IntakeStore,
  opened: OpenedReports,
  maxStoredBytes: number,
): IntakeMetrics {
  const registry = new Registry();
  const stored = new Counter({
    name: 'kalkan_intake_reports_stored_total',
    help: 'Reports stored since start',
    registers: [registry],
  });
  const refused = new Counter({
    name: 'kalkan_intake_reports_refused_total',
    help: 'Reports refused, by reason (quota per address, per IPv6 /64, global; size; store full; invalid)',
    labelNames: ['reason'],
    registers: [registry],
  });
  for (const reason of REFUSAL_REASONS) refused.labels(reason).inc(0);
  const gauge = (name: string, help: string, read: () => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read());
      },
    });
  gauge('kalkan_intake_reports', 'Reports stored', () => store.count());
  gauge('kalkan_intake_stored_bytes', 'Bytes of sealed reports stored', () => store.storedBytes());
  gauge('kalkan_intake_stored_bytes_limit', 'The cap on bytes stored', () => maxStoredBytes);
  gauge('kalkan_intake_opened_cached', 'Opened reports held in memory', () => opened.cached());
  return {
    registry,
    stored: () => stored.inc(),
    refused: (reason) => refused.labels(reason).inc(),
  };
}
