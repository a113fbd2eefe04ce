/**
 * What a school or café sets by policy (`storage.managed`, schema in managed_schema.json):
 * subscriptions, the report destination (intake URL and unit key), and a lock on the parent's settings. Values of the
 * wrong shape are ignored, so a typo in a policy never switches protection off.
 */
import { browser } from './api.js';
import type { Subscription } from './subscription.js';

export interface ManagedPolicy {
  subscriptions?: Subscription[];
  reportDestination?: string;
  reportUnitKey?: string;
  lock?: boolean;
}

export function parseManagedPolicy(raw: Record<string, unknown>): ManagedPolicy {
  const policy: ManagedPolicy = {};
  if (Array.isArray(raw.subscriptions)) {
    policy.subscriptions = raw.subscriptions.filter(
      (s): s is Subscription =>
        typeof s === 'object' &&
        s !== null &&
        typeof (s as Subscription).url === 'string' &&
        typeof (s as Subscription).publicKey === 'string',
    );
  }
  if (typeof raw.reportDestination === 'string') policy.reportDestination = raw.reportDestination;
  if (typeof raw.reportUnitKey === 'string') policy.reportUnitKey = raw.reportUnitKey;
  if (typeof raw.lock === 'boolean') policy.lock = raw.lock;
  return policy;
}

const CACHE_KEY = 'managedPolicy';
/** Chromium without any policy was seen here to leave `storage.managed.get` unanswered. */
const MANAGED_TIMEOUT_MS = 500;

/** The policy, or the last one read when the browser does not answer in time. */
export async function readManagedPolicy(): Promise<ManagedPolicy> {
  const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), MANAGED_TIMEOUT_MS));
  try {
    const raw = await Promise.race([browser.storage.managed.get(), timeout]);
    if (raw !== 'timeout') {
      const policy = parseManagedPolicy(raw);
      await browser.storage.local.set({ [CACHE_KEY]: policy });
      return policy;
    }
  } catch {
    // No policy installed (Firefox throws when there is no managed storage manifest).
    return {};
  }
  return ((await browser.storage.local.get(CACHE_KEY))[CACHE_KEY] ?? {}) as ManagedPolicy;
}
