/**
 * Every PIN check goes through here, one at a time: parallel guesses wait their turn and find
 * the lock-out the guess before them set. Failures and the lock-out are kept in
 * `storage.local`, so stopping the worker or restarting the browser does not reset them
 * (pin-backoff.ts says how long each lock-out is).
 */
import { browser } from './api.js';
import { verifyPin } from './pin.js';
import { afterFailure, type FailureRecord } from './pin-backoff.js';
import { readPinRecord } from './settings.js';

export type PinCheck = 'ok' | 'wrong' | 'no-pin' | 'wait';

const KEY = 'pinFailures';

async function readFailures(): Promise<FailureRecord> {
  return ((await browser.storage.local.get(KEY))[KEY] ?? {
    failures: 0,
    lockedUntil: 0,
  }) as FailureRecord;
}

let queue: Promise<unknown> = Promise.resolve();

async function checkNow(pin: string): Promise<PinCheck> {
  const failed = await readFailures();
  if (Date.now() < failed.lockedUntil) return 'wait';
  const record = await readPinRecord();
  if (!record) return 'no-pin';
  if (await verifyPin(pin, record)) {
    if (failed.failures) await browser.storage.local.remove(KEY);
    return 'ok';
  }
  await browser.storage.local.set({ [KEY]: afterFailure(failed, Date.now()) });
  return 'wrong';
}

/** Checks `pin` against the PIN in force, after every check asked before it. */
export function checkPin(pin: string): Promise<PinCheck> {
  const next = queue.then(() => checkNow(pin));
  queue = next.catch(() => undefined);
  return next;
}
