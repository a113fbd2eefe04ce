/**
 * The parent's settings in `storage.local`, merged with what a school's policy sets in
 * `storage.managed` (policy wins, and `lock` freezes the parent's settings).
 */
import { browser } from './api.js';
import { type ManagedPolicy, readManagedPolicy } from './managed-policy.js';
import type { PinRecord } from './pin.js';
import type { Subscription } from './subscription.js';

export type { Subscription } from './subscription.js';

export type Language = 'auto' | 'en' | 'ru' | 'ky';

export interface Settings {
  /** Categories on (abuse is always on and never listed here as off). */
  categories: { adult: boolean };
  subscriptions: Subscription[];
  /** Where reports go: the intake's base URL (extension/background/reports.ts delivers there). */
  reportDestination: string;
  /** `kalkan-x25519-public <base64url>`: the unit's key every report is sealed to. */
  reportUnitKey: string;
  language: Language;
}

export interface EffectiveSettings extends Settings {
  /** Subscriptions that came from policy; the parent cannot remove them. */
  managedSubscriptions: Subscription[];
  locked: boolean;
}

export const DEFAULT_SETTINGS: Settings = {
  categories: { adult: true },
  subscriptions: [],
  reportDestination: '',
  reportUnitKey: '',
  language: 'auto',
};

const SETTINGS_KEY = 'settings';
const PIN_KEY = 'pin';

export function mergeSettings(
  stored: Partial<Settings> | undefined,
  policy: ManagedPolicy,
): EffectiveSettings {
  const own = { ...DEFAULT_SETTINGS, ...stored };
  const managed = policy.subscriptions ?? [];
  return {
    ...own,
    categories: { ...DEFAULT_SETTINGS.categories, ...own.categories },
    subscriptions: [
      ...managed,
      ...own.subscriptions.filter((s) => !managed.some((m) => m.url === s.url)),
    ],
    // The destination is one pair: a policy that sets the URL sets the key with it.
    ...(policy.reportDestination === undefined
      ? {}
      : {
          reportDestination: policy.reportDestination,
          reportUnitKey: policy.reportUnitKey ?? '',
        }),
    managedSubscriptions: managed,
    locked: policy.lock === true,
  };
}

export async function readSettings(): Promise<EffectiveSettings> {
  const [stored, policy] = await Promise.all([
    browser.storage.local.get(SETTINGS_KEY),
    readManagedPolicy(),
  ]);
  return mergeSettings(stored[SETTINGS_KEY] as Partial<Settings> | undefined, policy);
}

export async function writeSettings(settings: Settings): Promise<void> {
  const clean: Settings = {
    categories: { adult: settings.categories.adult },
    subscriptions: settings.subscriptions,
    reportDestination: settings.reportDestination,
    reportUnitKey: settings.reportUnitKey ?? '',
    language: settings.language,
  };
  await browser.storage.local.set({ [SETTINGS_KEY]: clean });
}

export async function readPinRecord(): Promise<PinRecord | undefined> {
  return (await browser.storage.local.get(PIN_KEY))[PIN_KEY] as PinRecord | undefined;
}

export async function writePinRecord(record: PinRecord): Promise<void> {
  await browser.storage.local.set({ [PIN_KEY]: record });
}
