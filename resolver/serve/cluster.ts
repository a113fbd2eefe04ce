/**
 * `workers: N` (N > 1): the primary process forks N workers that each run the whole resolver on
 * the same addresses. On Linux, Node's cluster shares one UDP socket among them (the kernel hands
 * each datagram to whichever worker reads first) and the primary hands out TCP connections. The
 * primary forwards SIGHUP, stops the workers on SIGINT/SIGTERM, and restarts one that dies. It
 * tells systemd it is ready once every worker has said so. A config change made in the console
 * (served by the first worker) reaches the others: that worker tells the primary, which tells
 * every other worker to re-read the config file.
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

/** In a worker: the config file was changed here; the primary has the others re-read it. */
export function shareConfigChange(): void {
  if (cluster.isWorker) process.send?.({ kalkan: 'config-changed' });
}

/** In a worker: runs `reload` when another worker changed the config file. */
export function onConfigChangedElsewhere(reload: () => void): void {
  if (!cluster.isWorker) return;
  process.on('message', (message: { kalkan?: string }) => {
    if (message?.kalkan === 'reload-config') reload();
  });
}

/**
 * Runs the primary until SIGINT/SIGTERM has stopped every worker; returns the exit code. A worker
 * that dies before it ever answered (a fatal start error) stops them all with exit code 1, so a
 * supervisor sees the failure instead of a primary restarting it forever. `onReady` runs once
 * every worker answers, each time they all do.
 */
export function runPrimary(workers: number, onReady: () => void): Promise<number> {
  let stopping = false;
  const ready = new Set<number>();
  return new Promise((done) => {
    const stop = (code: number) => {
      if (stopping) return;
      stopping = true;
      const alive = Object.values(cluster.workers ?? {}).filter((w) => w !== undefined);
      if (alive.length === 0) return done(code);
      let left = alive.length;
      for (const w of alive) {
        w.once('exit', () => {
          if (--left === 0) done(code);
        });
        w.process.kill('SIGTERM');
      }
    };
    const fork = (index: number) => {
      const worker = cluster.fork({ KALKAN_WORKER: String(index) });
      worker.on('message', (message: { kalkan?: string }) => {
        if (message?.kalkan === 'config-changed') {
          for (const other of Object.values(cluster.workers ?? {}))
            if (other && other !== worker) other.send({ kalkan: 'reload-config' });
          return;
        }
        if (message?.kalkan !== 'ready' || ready.has(index)) return;
        ready.add(index);
        if (ready.size !== workers) return;
        notifyReady({ warn: (_obj, msg) => console.error(`kalkan serve: ${msg}`) });
        onReady();
      });
      worker.once('exit', (code, signal) => {
        if (stopping) return;
        if (!ready.has(index)) {
          console.error(`kalkan serve: worker ${index} failed to start (${signal ?? code})`);
          return stop(1);
        }
        ready.delete(index); // it must start again, or the primary gives up
        console.error(`worker ${index} exited (${signal ?? code}); starting it again`);
        setTimeout(() => fork(index), 1000);
      });
    };
    for (let i = 0; i < workers; i++) fork(i);
    process.on('SIGHUP', () => {
      for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGHUP');
    });
    process.once('SIGINT', () => stop(0));
    process.once('SIGTERM', () => stop(0));
  });
}
