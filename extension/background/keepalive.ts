/**
 * Keeps the worker running. A stopped worker must start before it can check a navigation, and
 * under load that start was seen here to take 100–600 ms: longer than a page takes to arrive,
 * so the page's script could run before the redirect.
 * - A trivial extension API call every 20 s resets Chrome's 30 s idle timer (Chrome 110+). The
 *   cost is the worker's memory staying resident (see the heap figure in docs/extension.md).
 * - Every open Kalkan page (the block page above all: the tab a child is likely to try again
 *   from) holds a port to the worker and reconnects when the worker stops, which starts it again
 *   at once (extension/pages/worker.ts). A stop while the tab showed the block page was seen to
 *   cost the next navigation's race 4 times in 20 without it.
 */
import { browser } from './api.js';

const INTERVAL_MS = 20_000;
/** The name of the port pages hold open. */
export const PAGE_PORT = 'kalkan-page';

export function keepAlive(): void {
  setInterval(() => {
    void browser.runtime.getPlatformInfo();
  }, INTERVAL_MS);
  // Accepting the port is all it takes: the page's connect is what starts a stopped worker.
  browser.runtime.onConnect.addListener(() => undefined);
}
