/**
 * How long wrong PINs lock the PIN out: the FREE_FAILURES-th wrong PIN in a row locks it for a
 * minute, and each further one for twice as long as the last (1 minute, 2, 4, … 24 hours at most), so the 10,000 four-digit
 * PINs take years, not hours.
 */
export const FREE_FAILURES = 5;
export const FIRST_LOCK_MS = 60_000;
const MAX_LOCK_MS = 24 * 3600_000;

export interface FailureRecord {
  failures: number;
  lockedUntil: number;
}

/** The record after one more wrong PIN at `now`. */
export function afterFailure(record: FailureRecord, now: number): FailureRecord {
  const failures = record.failures + 1;
  const over = failures - FREE_FAILURES + 1;
  const lockedUntil =
    over > 0 ? now + Math.min(MAX_LOCK_MS, FIRST_LOCK_MS * 2 ** Math.min(over - 1, 20)) : 0;
  return { failures, lockedUntil };
}
