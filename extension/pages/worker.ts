/** Asks the service worker (extension/background/messages.ts) and returns its reply. */
import browser from 'webextension-polyfill';
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
