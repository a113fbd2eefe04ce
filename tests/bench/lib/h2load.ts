/**
 * Runs nghttp2's h2load as the DoH load (dnsperf 2.10's DoH client expects each answer in a TLS
 * record of its own: it aborted against Node's HTTP/2, and against Kalkan's, which writes the
 * answers to one read's requests together, it times out all but the first of each batch): one DNS
 * query POSTed as application/dns-message over HTTP/2, its requests per second, how many got a
 * 2xx, and p99 from h2load's per-request log. Without `rps` it sends as fast as the server
 * answers; with it each connection offers that many requests a second (a fixed load).
 *
 * A run is a number of requests (-n), not a duration (-D): in duration mode h2load 1.52 does not
 * stop the clients still connecting when the duration ends, and keeps them sending (unmeasured)
 * until the server closes them, so a server slower to accept 1,000 connections was measured
 * over a shorter share of the run and kept busy long after it. With -n the requests per second
 * are all requests over the whole run, connection set-up included (as dnsperf's -l runs are).
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface H2loadResult {
  qps: number;
  /** Requests answered with a 2xx. */
  succeeded: number;
  /** Requests that failed, errored, timed out or got another status. */
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
  /** Requests in all (-n), spread evenly over the connections. */
  requests: number;
  /** Requests a second each connection offers (--rps); as fast as answered when absent. */
  rps?: number;
}): Promise<H2loadResult> {
  const { stdout } = await run(
    'h2load',
    [
      ...['-c', String(o.clients), '-m', String(o.streams), '-n', String(o.requests)],
      ...(o.rps ? [`--rps=${o.rps}`] : []),
      ...['-d', o.bodyFile, '-H', 'content-type: application/dns-message'],
      `--log-file=${o.logFile}`,
      o.url,
    ],
    { maxBuffer: 1 << 24 },
  );
  const number = (pattern: RegExp) => {
    const m = pattern.exec(stdout);
    if (!m) throw new Error(`h2load output has no ${pattern}:\n${stdout.slice(-1500)}`);
    return Number(m[1]);
  };
  const qps = number(/finished in [0-9.]+m?s, ([0-9.]+) req\/s/);
  const done = number(/requests: \d+ total, \d+ started, (\d+) done/);
  const succeeded = number(/status codes: (\d+) 2xx/);
  // Each line: start (µs since the epoch), HTTP status, duration (µs).
  const durations = (await readFile(o.logFile, 'utf8'))
    .split('\n')
    .map((line) => Number(line.split('\t')[2]))
    .filter((d) => Number.isFinite(d))
    .sort((a, b) => a - b);
  const p99 = durations[Math.floor(durations.length * 0.99)] ?? Number.NaN;
  return { qps, succeeded, failed: done - succeeded, p99Ms: p99 / 1000 };
}

/** The body h2load POSTs: `name A IN` with RD, ID 0 (RFC 8484 §4.1 asks for ID 0 over DoH). */
export function dohQuery(name: string): Buffer {
  const labels = name
    .split('.')
    .map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)]));
  const header = Buffer.from([0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
  return Buffer.concat([header, ...labels, Buffer.from([0, 0, 1, 0, 1])]);
}
