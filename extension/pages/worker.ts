/** Asks the service worker (extension/background/messages.ts) and returns its reply. */
import browser from 'webextension-polyfill';
import { PAGE_PORT } from '../background/keepalive.js';
import type { Reply, Request } from '../background/messages.js';

export function ask<T extends Record<string, unknown> = Record<string, unknown>>(
  request: Request,
): Promise<(Reply & T) | { ok: false; error: string }> {
  return browser.runtime.sendMessage(request) as Promise<
    (Reply & T) | { ok: false; error: string }
  >;
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} missing`);
  return el as T;
}

/** A reconnect sooner than this after the last one waits longer (up to MAX), never a busy loop. */
const QUICK_MS = 1_000;
const MAX_DELAY_MS = 5_000;

/**
 * Holds a port to the worker while this page is open and reconnects when the worker stops,
 * which starts it again at once: a navigation from this tab then finds it running
 * (extension/background/keepalive.ts says why).
 */
export function keepWorkerStarted(): void {
  let delay = 0;
  let connectedAt = 0;
  const connect = () => {
    connectedAt = Date.now();
    browser.runtime.connect({ name: PAGE_PORT }).onDisconnect.addListener(() => {
      delay = Date.now() - connectedAt < QUICK_MS ? Math.min(MAX_DELAY_MS, delay * 2 + 50) : 0;
      setTimeout(connect, delay);
    });
  };
  connect();
}
