/**
 * An OutboxStorage over an async key-value area shaped like `chrome.storage.local` (and
 * `browser.storage.local`): one key per report, `kalkan.report.<id>`. The extension wires it as
 * `new KeyValueOutboxStorage(chrome.storage.local)`; nothing here refers to `chrome`.
 */
import type { OutboxEntry, OutboxStorage } from './outbox.js';

/** The subset of chrome.storage.StorageArea the outbox needs. */
export interface KeyValueArea {
  get(keys: string | string[] | null): Promise<Record<string, unknown>>;
  set(items: Record<string, unknown>): Promise<void>;
  remove(keys: string | string[]): Promise<void>;
}

export const REPORT_KEY_PREFIX = 'kalkan.report.';

export class KeyValueOutboxStorage implements OutboxStorage {
  constructor(private readonly area: KeyValueArea) {}

  async get(id: string): Promise<OutboxEntry | undefined> {
    const key = REPORT_KEY_PREFIX + id;
    return (await this.area.get(key))[key] as OutboxEntry | undefined;
  }

  async put(entry: OutboxEntry): Promise<void> {
    await this.area.set({ [REPORT_KEY_PREFIX + entry.id]: entry });
  }

  async list(): Promise<OutboxEntry[]> {
    const all = await this.area.get(null);
    return Object.entries(all)
      .filter(([key]) => key.startsWith(REPORT_KEY_PREFIX))
      .map(([, value]) => value as OutboxEntry);
  }

  async remove(id: string): Promise<void> {
    await this.area.remove(REPORT_KEY_PREFIX + id);
  }
}
