/**
 * Readiness for systemd's Type=notify: once the resolver answers, READY=1 goes to
 * $NOTIFY_SOCKET. Node cannot send on a unix datagram socket and the npm packages that can are
 * native addons, so systemd's own `systemd-notify` sends it for us; `--pid` names this process
 * (the unit sets NotifyAccess=all so systemd takes it from a child), and systemd-notify waits
 * until systemd has read it. Without NOTIFY_SOCKET (not under systemd) nothing is sent.
 */
import { spawn } from 'node:child_process';

export interface NotifyLog {
  warn(obj: object, msg: string): void;
}

export function notifyReady(log: NotifyLog, status = 'answering DNS queries'): void {
  if (!process.env.NOTIFY_SOCKET) return;
  const child = spawn('systemd-notify', ['--ready', `--pid=${process.pid}`, `--status=${status}`], {
    stdio: 'ignore',
  });
  child.on('error', (error) =>
    log.warn({ error: error.message }, 'cannot tell systemd we are ready (systemd-notify)'),
  );
  child.unref();
}
