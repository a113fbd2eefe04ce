/**
 * The parts of prom-client Kalkan uses (Registry, Counter, Gauge, Histogram), each from its own
 * file. prom-client's index also loads, at start, its Pushgateway (node:https, node:tls and
 * node:zlib with it), Summary, default metrics and cluster aggregation, none of them used
 * here: about 2 MB more resident memory in `kalkan serve` (docs/performance.md).
 */
import type * as PromClient from 'prom-client';
import CounterPart from 'prom-client/lib/counter.js';
import GaugePart from 'prom-client/lib/gauge.js';
import HistogramPart from 'prom-client/lib/histogram.js';
import RegistryPart from 'prom-client/lib/registry.js';

export const Counter = CounterPart;
export type Counter<T extends string = string> = PromClient.Counter<T>;
export const Gauge = GaugePart;
export type Gauge<T extends string = string> = PromClient.Gauge<T>;
export const Histogram = HistogramPart;
export type Histogram<T extends string = string> = PromClient.Histogram<T>;
export const Registry = RegistryPart;
export type Registry = PromClient.Registry;
