/**
 * Runs nghttp2's h2load as the DoH load (dnsperf 2.10's DoH client expects each answer in a TLS
 * record of its own and aborts on servers that frame otherwise, Node's among them): one DNS
 * query POSTed as application/dns-message over HTTP/2, its requests per second, and p99 from
 * h2load's per-request log.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface H2loadResult {
  qps: number;
  failed: number;
  p99Ms: number;
}

export async function h2load(o: {
  url: string;
  bodyFile: string;
  logFile: string;
  clients: number;
  /** Concurrent streams per connection (-m). */
  streams: number;
  seconds: number;
}): Promise<H2loadResult> {
  const { stdout } = await run(
    'h2load',
    [
      ...['-c', String(o.clients), '-m', String(o.streams), '-D', String(o.seconds)],
      ...['-d', o.bodyFile, '-H', 'content-type: application/dns-message'],
      `--log-file=${o.logFile}`,
      o.url,
    ],
    { maxBuffer: 1 << 24 },
  );
  const qps = Number(/finished in [0-9.]+s, ([0-9.]+) req\/s/.exec(stdout)?.[1] ?? Number.NaN);
  const failed = Number(/(\d+) failed/.exec(stdout)?.[1] ?? Number.NaN);
  // Each line: start (µs since the epoch), HTTP status, duration (µs).
  const durations = (await readFile(o.logFile, 'utf8'))
    .split('\n')
    .map((line) => Number(line.split('\t')[2]))
    .filter((d) => Number.isFinite(d))
    .sort((a, b) => a - b);
  const p99 = durations[Math.floor(durations.length * 0.99)] ?? Number.NaN;
  return { qps, failed, p99Ms: p99 / 1000 };
}
