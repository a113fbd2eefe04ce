/**
 * `workers: N` (N > 1): the primary process forks N workers that each run the whole resolver on
 * the same addresses. On Linux, Node's cluster shares one UDP socket among them (the kernel hands
 * each datagram to whichever worker reads first) and the primary hands out TCP connections. The
 * primary forwards SIGHUP, stops the workers on SIGINT/SIGTERM, and restarts one that dies. It
 * tells systemd it is ready once every worker has said so.
 */
import cluster from 'node:cluster';
import { notifyReady } from './systemd-notify.js';

/** Worker index (0 … N-1) in a worker process; 0 when not clustered. */
export function workerIndex(): number {
  return cluster.isWorker ? Number(process.env.KALKAN_WORKER ?? 0) : 0;
}

export function isClusterPrimary(workers: number): boolean {
  return workers > 1 && cluster.isPrimary;
}

/** Runs the primary until SIGINT/SIGTERM has stopped every worker; returns the exit code. */
export function runPrimary(workers: number): Promise<number> {
  let stopping = false;
  const ready = new Set<number>();
  const fork = (index: number) => {
    const worker = cluster.fork({ KALKAN_WORKER: String(index) });
    worker.on('message', (message: { kalkan?: string }) => {
      if (message?.kalkan !== 'ready' || ready.has(index)) return;
      ready.add(index);
      if (ready.size === workers)
        notifyReady({ warn: (_obj, msg) => console.error(`kalkan serve: ${msg}`) });
    });
    worker.once('exit', (code, signal) => {
      if (stopping) return;
      console.error(`worker ${index} exited (${signal ?? code}); starting it again`);
      setTimeout(() => fork(index), 1000);
    });
  };
  for (let i = 0; i < workers; i++) fork(i);
  process.on('SIGHUP', () => {
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGHUP');
  });
  return new Promise((done) => {
    const stop = () => {
      stopping = true;
      const alive = Object.values(cluster.workers ?? {}).filter((w) => w !== undefined);
      if (alive.length === 0) return done(0);
      let left = alive.length;
      for (const w of alive) {
        w.once('exit', () => {
          if (--left === 0) done(0);
        });
        w.process.kill('SIGTERM');
      }
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
