/**
 * Keeps the worker from idling out. A stopped worker must start before it can check a
 * navigation, and under load that start was seen here to take 100–600 ms: longer than a page
 * takes to arrive, so the page's script could run before the redirect. A trivial extension API
 * call every 20 s resets Chrome's 30 s idle timer (Chrome 110+). The cost is the worker's memory
 * staying resident (see the heap figure in docs/extension.md).
 */
import { browser } from './api.js';

const INTERVAL_MS = 20_000;

export function keepAlive(): void {
  setInterval(() => {
    void browser.runtime.getPlatformInfo();
  }, INTERVAL_MS);
}
