/**
 * One update round over every subscription, one at a time (a round already running is joined,
 * not doubled). Good bundles are swapped into the list store, then put into force; refusals are
 * only recorded.
 */
import { deleteList, putList, readLists } from './list-store.js';
import { applySettings } from './protection.js';
import { readSettings } from './settings.js';
import { checkSubscription, readUpdateStatus, writeUpdateStatus } from './updates.js';

let running: Promise<void> | undefined;

export function runUpdates(): Promise<void> {
  running ??= round().finally(() => {
    running = undefined;
  });
  return running;
}

async function round(): Promise<void> {
  const settings = await readSettings();
  const stored = await readLists();
  const status = await readUpdateStatus();
  const next: typeof status = {};
  let changed = false;
  for (const old of stored) {
    if (!settings.subscriptions.some((s) => s.url === old.url)) {
      await deleteList(old.url);
      changed = true;
    }
  }
  for (const subscription of settings.subscriptions) {
    const previous = stored.find((s) => s.url === subscription.url);
    const outcome = await checkSubscription(subscription, previous);
    const checkedAt = new Date().toISOString();
    if (outcome.kind === 'updated') {
      await putList(outcome.list);
      changed = true;
    }
    next[subscription.url] =
      outcome.kind === 'refused' ? { checkedAt, error: outcome.error } : { checkedAt };
  }
  await writeUpdateStatus({ ...next });
  if (changed || Object.keys(status).length !== Object.keys(next).length)
    await applySettings(readSettings());
}
