/** The RPZ primaries' counters on the resolver's /metrics, read when scraped (as metrics.ts). */
import { Counter, Gauge, type Registry } from '../net/prometheus.js';
import type { RpzCounters } from '../rpz/handler.js';
import type { NamedPrimary } from './rpz-primaries.js';

const COUNTERS: [name: string, help: string, key: keyof RpzCounters][] = [
  ['kalkan_rpz_soa_total', 'SOA queries answered by the RPZ primary', 'soa'],
  ['kalkan_rpz_axfr_total', 'AXFRs served', 'axfr'],
  ['kalkan_rpz_ixfr_total', 'IXFRs served from the diff history', 'ixfr'],
  ['kalkan_rpz_ixfr_as_axfr_total', 'IXFRs answered with the whole zone', 'ixfrAsAxfr'],
  ['kalkan_rpz_refused_total', 'Requests refused (outside the ACL, no or bad TSIG)', 'refused'],
  ['kalkan_rpz_tsig_failures_total', 'Requests whose TSIG did not verify', 'tsigFailures'],
  ['kalkan_rpz_notify_sent_total', 'NOTIFYs sent to secondaries', 'notifySent'],
  ['kalkan_rpz_notify_acked_total', 'NOTIFYs answered by secondaries', 'notifyAcked'],
  ['kalkan_rpz_notify_failed_total', 'NOTIFYs given up on', 'notifyFailed'],
  ['kalkan_rpz_reloads_total', 'New serials loaded', 'reloads'],
  ['kalkan_rpz_reload_failures_total', 'List files refused on reload', 'reloadFailures'],
];

export function registerRpzMetrics(registry: Registry, primaries: readonly NamedPrimary[]): void {
  for (const [name, help, key] of COUNTERS) {
    new Counter({
      name,
      help,
      labelNames: ['zone'],
      registers: [registry],
      collect() {
        this.reset();
        for (const { zone, primary } of primaries) this.inc({ zone }, primary.counters()[key]);
      },
    });
  }
  new Gauge({
    name: 'kalkan_rpz_serial',
    help: 'Serial (list sequence) of each RPZ zone in force',
    labelNames: ['zone'],
    registers: [registry],
    collect() {
      this.reset();
      for (const { zone, primary } of primaries) this.set({ zone }, primary.serial());
    },
  });
}
