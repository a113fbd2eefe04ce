/**
 * What a school or café sets by policy (`storage.managed`, schema in managed_schema.json):
 * subscriptions, the report destination (intake URL and unit key), a lock on the parent's
 * settings, the PIN (as a salted hash) and whether unlocks exist at all, and what the block page
 * says (audience, helpline, confidential help, appeal contact). Values of the wrong shape are
 * ignored, so a typo in a policy never switches protection off.
 */
import { browser } from './api.js';
import { type PinRecord, parsePinHash } from './pin.js';
import type { Subscription } from './subscription.js';

export type Audience = 'family' | 'school';

export interface ManagedPolicy {
  subscriptions?: Subscription[];
  reportDestination?: string;
  reportUnitKey?: string;
  lock?: boolean;
  pin?: PinRecord;
  unlocks?: boolean;
  audience?: Audience;
  helplineNumber?: string;
  helplineName?: string;
  confidentialHelp?: string;
  appealContact?: string;
}

const TEXTS = ['helplineNumber', 'helplineName', 'confidentialHelp', 'appealContact'] as const;

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
  // A malformed hash still means "the school sets the PIN": nobody can use or set one then.
  if (typeof raw.pinHash === 'string')
    policy.pin = parsePinHash(raw.pinHash) ?? { salt: '', iterations: 1, hash: 'invalid' };
  if (typeof raw.unlocks === 'boolean') policy.unlocks = raw.unlocks;
  if (raw.audience === 'family' || raw.audience === 'school') policy.audience = raw.audience;
  for (const key of TEXTS) {
    const value = raw[key];
    if (typeof value === 'string' && value.trim()) policy[key] = value.trim();
  }
  return policy;
}

const CACHE_KEY = 'managedPolicy';
/**
 * Chromium answers `storage.managed.get` only once its policy service is up: 2.5–3 s after the
 * browser starts here (with or without a policy), then at once. Protection does not wait that
 * long for it (the last policy read is used meanwhile)...
 */
const MANAGED_TIMEOUT_MS = 500;
/** ...but who may set or use a PIN does: a school's PIN or lock must never be missed. */
export const POLICY_DECISION_TIMEOUT_MS = 10_000;

/** The policy, or the last one read when the browser does not answer in time. */
export async function readManagedPolicy(timeoutMs = MANAGED_TIMEOUT_MS): Promise<ManagedPolicy> {
  const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), timeoutMs));
  try {
    const raw = await Promise.race([browser.storage.managed.get(), timeout]);
    if (raw !== 'timeout') {
      const policy = parseManagedPolicy(
        timeoutMs >= POLICY_DECISION_TIMEOUT_MS ? await arrivedPolicy(raw, timeoutMs) : raw,
      );
      await browser.storage.local.set({ [CACHE_KEY]: policy });
      return policy;
    }
  } catch {
    // No policy installed (Firefox throws when there is no managed storage manifest).
    return {};
  }
  return ((await browser.storage.local.get(CACHE_KEY))[CACHE_KEY] ?? {}) as ManagedPolicy;
}

/** Set in `storage.session` once this browser session's policy is known to have arrived. */
const SETTLED_KEY = 'managedPolicySettled';
const POLICY_POLL_MS = 250;

/**
 * A force-installed extension's own policy arrives after the extension: Chromium answers `{}`
 * for its first seconds (2–4 s after the install here) and then fills `storage.managed`. A
 * decision on such an install (`installType` `admin`) that reads `{}` waits for the policy
 * (up to `timeoutMs`, once per browser session): a school's PIN, lock or report key is never
 * missed, and a report is never sealed to the package's key while the school's is on its way.
 */
async function arrivedPolicy(
  raw: Record<string, unknown>,
  timeoutMs: number,
): Promise<Record<string, unknown>> {
  if (Object.keys(raw).length > 0 || (await policySettled())) return markSettled(raw);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, POLICY_POLL_MS));
    const now = await browser.storage.managed.get();
    if (Object.keys(now).length > 0) return markSettled(now);
  }
  return markSettled(raw);
}

async function policySettled(): Promise<boolean> {
  if ((await browser.storage.session.get(SETTLED_KEY))[SETTLED_KEY] === true) return true;
  // Only a policy install has a policy that can come late; any other answers at once.
  return (await browser.management.getSelf()).installType !== 'admin';
}

async function markSettled(raw: Record<string, unknown>): Promise<Record<string, unknown>> {
  await browser.storage.session.set({ [SETTLED_KEY]: true });
  return raw;
}
