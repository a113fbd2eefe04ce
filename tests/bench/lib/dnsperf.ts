/** Runs Debian's dnsperf and reads its summary (and, for latency, its per-query lines). */
import { spawn } from 'node:child_process';

export interface LoadResult {
  sent: number;
  completed: number;
  lost: number;
  qps: number;
  /** Response codes seen, e.g. { NXDOMAIN: 1000 }. */
  rcodes: Record<string, number>;
}

export interface LatencyResult {
  p50Ms: number;
  p99Ms: number;
  samples: number;
  lost: number;
}

export interface DnsperfOptions {
  port: number;
  queryFile: string;
  seconds: number;
  server?: string;
  clients?: number;
  outstanding?: number;
  /** Offered load in queries per second; unlimited when absent. */
  maxQps?: number;
  /** Transport (dnsperf -m); udp when absent. */
  mode?: 'udp' | 'tcp' | 'dot';
}

function args(o: DnsperfOptions): string[] {
  const a = [
    '-s',
    o.server ?? '127.0.0.1',
    '-p',
    String(o.port),
    '-d',
    o.queryFile,
    '-l',
    String(o.seconds),
  ];
  a.push('-c', String(o.clients ?? 4), '-q', String(o.outstanding ?? 200), '-t', '2', '-T', '1');
  if (o.maxQps) a.push('-Q', String(o.maxQps));
  if (o.mode) a.push('-m', o.mode);
  return a;
}

function run(argv: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('dnsperf', argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => {
      err = (err + d.toString()).slice(-2000);
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve(Buffer.concat(out).toString())
        : reject(
            new Error(`dnsperf exited ${code}: ${err}${Buffer.concat(out).toString().slice(-500)}`),
          ),
    );
  });
}

function field(text: string, label: string): number {
  const m = new RegExp(`${label}:\\s+([0-9.]+)`).exec(text);
  if (!m) throw new Error(`dnsperf output has no "${label}"`);
  return Number(m[1]);
}

export async function load(o: DnsperfOptions): Promise<LoadResult> {
  const text = await run(args(o));
  const rcodes: Record<string, number> = {};
  const codes = /Response codes:\s+(.*)/.exec(text)?.[1] ?? '';
  for (const m of codes.matchAll(/([A-Z]+) (\d+)/g)) rcodes[m[1] as string] = Number(m[2]);
  return {
    sent: field(text, 'Queries sent'),
    completed: field(text, 'Queries completed'),
    lost: field(text, 'Queries lost'),
    qps: field(text, 'Queries per second'),
    rcodes,
  };
}

/** Latency percentiles at a fixed offered load, from dnsperf's per-query verbose lines. */
export async function latency(o: DnsperfOptions & { maxQps: number }): Promise<LatencyResult> {
  const text = await run([...args(o), '-v']);
  const samples: number[] = [];
  for (const m of text.matchAll(/^> \S+ \S+ \S+ ([0-9.]+)$/gm)) samples.push(Number(m[1]) * 1000);
  samples.sort((a, b) => a - b);
  const at = (q: number) =>
    samples[Math.min(samples.length - 1, Math.floor(q * samples.length))] ?? Number.NaN;
  return {
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    samples: samples.length,
    lost: field(text, 'Queries lost'),
  };
}
