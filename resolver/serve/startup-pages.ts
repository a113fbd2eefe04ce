/**
 * `memory.releaseStartupPages`: once the resolver answers (and after each SIGHUP reload), the
 * pages of Node's program and libraries read only to start are handed back to the kernel
 * (resolver/native/program-pages.c): with a million-name list they were half the resident
 * set. Those still in use come back on their next touch. Without the addon (not built, not
 * Linux) they stay resident; nothing else differs.
 */
import type { Logger } from 'pino';
import { loadAddon } from './native-addon.js';

interface ProgramPagesAddon {
  /** Bytes that were resident in the dropped mappings; -1 if /proc/self/smaps is unreadable. */
  release(): number;
}

let addon: ProgramPagesAddon | Error | undefined;

/** `log`: where to say what happened (debug level); the cluster's primary has none. */
export function releaseStartupPages(log?: Logger): void {
  addon ??= loadAddon<ProgramPagesAddon>(
    'program_pages.node',
    (a) => typeof a.release === 'function',
  );
  if (addon instanceof Error) {
    log?.debug({ reason: addon.message }, 'start-up pages kept: no addon');
    return;
  }
  const released = addon.release();
  log?.debug({ releasedMB: Math.round(released / 104857.6) / 10 }, 'start-up pages handed back');
}
