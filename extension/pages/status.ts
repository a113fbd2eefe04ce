/** The worker's status reply, and page start-up: localize in the parent's chosen language. */
import type { ListInfo } from '../background/hashed-lists.js';
import type { EffectiveSettings } from '../background/settings.js';
import type { UpdateStatus } from '../background/updates.js';
import { localize } from './i18n.js';
import { ask, keepWorkerStarted } from './worker.js';

export interface Status {
  ok: true;
  pinSet: boolean;
  /** The browser's own PIN may be set (no policy PIN, no lock). */
  ownPinAllowed: boolean;
  settings: EffectiveSettings;
  categories: { abuse: boolean; adult: boolean };
  lists: ListInfo[];
  updates: Record<string, UpdateStatus>;
  version: string;
}

export async function startPage(): Promise<Status> {
  keepWorkerStarted();
  const status = (await ask({ type: 'status' })) as unknown as Status;
  await localize(status.settings.language);
  return status;
}
