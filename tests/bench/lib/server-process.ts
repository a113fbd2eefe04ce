/**
 * A DNS server under test as a child process: its memory (resident now and at its peak, from
 * /proc), its start-up time, its CPU time, and stopping it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { connect as connectTcp } from 'node:net';

/** How to start a server: a command and its arguments. */
export interface Launch {
  command: string;
  args: string[];
}

export interface ServerProcess {
  name: string;
  child: ChildProcess;
  /** Milliseconds from spawn to the first answered query. */
  startupMs: number;
  /** Resident memory of the process and its children (cluster workers). */
  rssBytes(): number;
  /** Peak resident memory (VmHWM) of the process plus that of each child. */
  peakRssBytes(): number;
  /** Resident memory that is the processes' own (RssAnon): RSS less their program's file pages. */
  privateBytes(): number;
  /** CPU seconds (user + system) the process and its children have used so far. */
  cpuSeconds(): number;
  stop(): Promise<void>;
}

/** A minimal A query for `name`, id 0x1234. */
function query(name: string): Buffer {
  const labels = name
    .split('.')
    .map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)]));
  return Buffer.concat([
    Buffer.from([0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]),
    ...labels,
    Buffer.from([0, 0, 1, 0, 1]),
  ]);
}

/**
 * Resolves when the server answers a query on `port` with `rcode`, polling every 5 ms. Asking
 * for a listed name and NXDOMAIN means "first filtered answer", not merely "port open".
 */
export function firstAnswer(
  port: number,
  name: string,
  rcode: number,
  timeoutMs: number,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    const packet = query(name);
    const timer = setInterval(() => socket.send(packet, port, '127.0.0.1'), 5);
    const deadline = setTimeout(
      () => finish(new Error(`no answer on port ${port} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const finish = (error?: Error) => {
      clearInterval(timer);
      clearTimeout(deadline);
      socket.close();
      if (error) reject(error);
      else resolve();
    };
    socket.on('message', (m) => {
      if (m.readUInt16BE(0) === 0x1234 && ((m[3] as number) & 0x0f) === rcode) finish();
    });
    socket.on('error', () => {});
  });
}

export async function startServer(
  name: string,
  launch: Launch,
  port: number,
  probe: { name: string; rcode: number },
  timeoutMs = 120_000,
): Promise<ServerProcess> {
  const started = performance.now();
  const child = spawn(launch.command, launch.args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) =>
      reject(new Error(`${name} exited with ${code} before answering:\n${stderr}`)),
    ),
  );
  await Promise.race([firstAnswer(port, probe.name, probe.rcode, timeoutMs), exited]);
  const startupMs = performance.now() - started;
  return {
    name,
    child,
    startupMs,
    rssBytes: () => processTree(child.pid).reduce((n, pid) => n + rssOf(pid), 0),
    peakRssBytes: () => processTree(child.pid).reduce((n, pid) => n + rssOf(pid, 'VmHWM'), 0),
    privateBytes: () => processTree(child.pid).reduce((n, pid) => n + rssOf(pid, 'RssAnon'), 0),
    cpuSeconds: () => processTree(child.pid).reduce((n, pid) => n + cpuOf(pid), 0),
    stop: () =>
      new Promise((resolve) => {
        // Already gone (exitCode for an exit, signalCode when a signal ended it).
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.removeAllListeners('exit');
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      }),
  };
}

/**
 * VmRSS (resident now), VmHWM (the peak so far) or RssAnon (the part resident now that is the
 * process's own, not pages of its program and library files) of one process, from /proc.
 */
export function rssOf(
  pid: number | undefined,
  field: 'VmRSS' | 'VmHWM' | 'RssAnon' = 'VmRSS',
): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1];
  return kb ? Number(kb) * 1024 : Number.NaN;
}

/** The process and its direct children (a cluster's workers). */
function processTree(pid: number | undefined): number[] {
  let children: number[] = [];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .split(' ')
      .filter(Boolean)
      .map(Number);
  } catch {
    // no children file on this kernel: the process alone
  }
  return [pid as number, ...children];
}

/** utime + stime from /proc/PID/stat, in seconds (USER_HZ is 100 on Linux). */
export function cpuOf(pid: number): number {
  const fields = (readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1] ?? '').split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Resolves once a TCP connection to 127.0.0.1:`port` opens (tries for 30 s). */
export async function acceptsConnections(port: number): Promise<void> {
  for (let tries = 0; tries < 600; tries++) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connectTcp(port, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listens on port ${port}`);
}
