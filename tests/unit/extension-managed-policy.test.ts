/**
 * A force-installed extension's own policy arrives seconds after the extension: a decision read
 * on such an install waits for it instead of taking the first empty answer.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';

const local = new Map<string, unknown>();
const session = new Map<string, unknown>();
const area = (map: Map<string, unknown>) => ({
  get: async (key: string) => (map.has(key) ? { [key]: map.get(key) } : {}),
  set: async (items: Record<string, unknown>) => {
    for (const [k, v] of Object.entries(items)) map.set(k, v);
  },
});
const managed: Record<string, unknown>[] = [];
let installType = 'admin';
vi.mock('../../extension/background/api.js', () => ({
  browser: {
    storage: {
      local: area(local),
      session: area(session),
      // Each answer in turn; the last one stays.
      managed: { get: async () => (managed.length > 1 ? managed.shift() : managed[0]) ?? {} },
    },
    management: { getSelf: async () => ({ installType }) },
  },
}));

const { POLICY_DECISION_TIMEOUT_MS, readManagedPolicy } = await import(
  '../../extension/background/managed-policy.js'
);

const POLICY = { reportDestination: 'https://intake.unit.example/', reportUnitKey: 'k' };

beforeEach(() => {
  local.clear();
  session.clear();
  managed.length = 0;
});

describe('the managed policy of a force-installed extension', () => {
  it('is waited for by a decision while Chromium still answers {}', async () => {
    installType = 'admin';
    managed.push({}, {}, POLICY);
    expect(await readManagedPolicy(POLICY_DECISION_TIMEOUT_MS)).toEqual(POLICY);
    // Known to have arrived for this browser session: a later empty answer is taken as it is.
    managed.length = 0;
    managed.push({});
    expect(await readManagedPolicy(POLICY_DECISION_TIMEOUT_MS)).toEqual({});
  });

  it('is not waited for on any other install, nor by a read that is no decision', async () => {
    installType = 'normal';
    managed.push({}, POLICY);
    expect(await readManagedPolicy(POLICY_DECISION_TIMEOUT_MS)).toEqual({});
    installType = 'admin';
    session.clear();
    managed.length = 0;
    managed.push({}, POLICY);
    expect(await readManagedPolicy()).toEqual({});
  });
});
