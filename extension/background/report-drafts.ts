/**
 * Reports taken while no destination was set: they cannot be sealed, so they wait in plain text
 * in `storage.local`, and only briefly. A page that finds a destination seals them
 * (extension/pages/report-sealing.ts); whatever is still waiting DRAFT_KEEP_MS after it was taken
 * is discarded, by the worker on its alarm (reports.ts) and by every reader. A plaintext address
 * is never kept on the device indefinitely.
 */
import type { KeyValueArea } from '../../reporting/key-value-storage.js';
import type { ReportDraft } from '../../reporting/schema.js';

export const DRAFTS_KEY = 'reportDrafts';
/** How long an unsealed report may wait for a destination (docs/extension.md, "Reports"). */
export const DRAFT_KEEP_MS = 24 * 3_600_000;

export interface KeptDraft {
  draft: ReportDraft;
  /** Epoch ms when it was kept: it is discarded DRAFT_KEEP_MS later. */
  keptAt: number;
}

function isLive(kept: KeptDraft, now: number): boolean {
  return typeof kept.keptAt === 'number' && now - kept.keptAt < DRAFT_KEEP_MS;
}

async function stored(area: KeyValueArea): Promise<KeptDraft[]> {
  const value = (await area.get(DRAFTS_KEY))[DRAFTS_KEY];
  return Array.isArray(value) ? (value as KeptDraft[]) : [];
}

/** The drafts still waiting; expired ones are removed from storage on the way. */
export async function readDrafts(area: KeyValueArea, now: number): Promise<KeptDraft[]> {
  const all = await stored(area);
  const live = all.filter((k) => isLive(k, now));
  if (live.length !== all.length) await area.set({ [DRAFTS_KEY]: live });
  return live;
}

export async function writeDrafts(area: KeyValueArea, drafts: KeptDraft[]): Promise<void> {
  await area.set({ [DRAFTS_KEY]: drafts });
}

/** Removes expired drafts; when the next one expires (epoch ms), if any is left. */
export async function pruneDrafts(area: KeyValueArea, now: number): Promise<number | undefined> {
  const live = await readDrafts(area, now);
  return live.reduce<number | undefined>(
    (next, k) => Math.min(next ?? Number.POSITIVE_INFINITY, k.keptAt + DRAFT_KEEP_MS),
    undefined,
  );
}
