/**
 * What a school or café sets by policy (`storage.managed`, schema in managed_schema.json):
 * subscriptions, the report destination, and a lock on the parent's settings. Values of the
 * wrong shape are ignored, so a typo in a policy never switches protection off.
 */
import { browser } from './api.js';
import type { Subscription } from './settings.js';

export interface ManagedPolicy {
  subscriptions?: Subscription[];
  reportDestination?: string;
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
  if (typeof raw.lock === 'boolean') policy.lock = raw.lock;
  return policy;
}

export async function readManagedPolicy(): Promise<ManagedPolicy> {
  try {
    return parseManagedPolicy(await browser.storage.managed.get());
  } catch {
    // No policy installed (Firefox throws when there is no managed storage manifest).
    return {};
  }
}
