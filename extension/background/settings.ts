/**
 * The parent's settings in `storage.local`, merged with what a school's policy sets in
 * `storage.managed` (policy wins, and `lock` freezes the parent's settings and PIN).
 */
import { browser } from './api.js';
import {
  type Audience,
  type ManagedPolicy,
  POLICY_DECISION_TIMEOUT_MS,
  readManagedPolicy,
} from './managed-policy.js';
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
  /** The children's helpline the block page shows (the country's; Kyrgyzstan: 111). */
  helplineNumber: string;
  helplineName: string;
}

export interface EffectiveSettings extends Settings {
  /** Subscriptions that came from policy; the parent cannot remove them. */
  managedSubscriptions: Subscription[];
  locked: boolean;
  /** The PIN is the school's (policy `pinHash`): the browser's own is neither used nor set. */
  pinByPolicy: boolean;
  /** Policy `unlocks: false` turns "ask a parent" off. */
  unlocksAllowed: boolean;
  audience: Audience;
  confidentialHelp: string;
  appealContact: string;
}

export const DEFAULT_SETTINGS: Settings = {
  categories: { adult: true },
  subscriptions: [],
  reportDestination: '',
  reportUnitKey: '',
  language: 'auto',
  helplineNumber: '111',
  helplineName: '',
};

const SETTINGS_KEY = 'settings';
const PIN_KEY = 'pin';

/** The destination built into the package; none where there is no build (unit tests). */
function builtInDestination(): Pick<Settings, 'reportDestination' | 'reportUnitKey'> {
  return typeof __KALKAN_DEFAULT_DESTINATION__ === 'undefined'
    ? { reportDestination: '', reportUnitKey: '' }
    : __KALKAN_DEFAULT_DESTINATION__;
}

export function mergeSettings(
  stored: Partial<Settings> | undefined,
  policy: ManagedPolicy,
): EffectiveSettings {
  // A parent who saved settings chose their destination (empty included); before that, the
  // package's own applies, so the first report is sealed and sent at once.
  const own = { ...DEFAULT_SETTINGS, ...builtInDestination(), ...stored };
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
    ...(policy.helplineNumber === undefined
      ? {}
      : { helplineNumber: policy.helplineNumber, helplineName: policy.helplineName ?? '' }),
    managedSubscriptions: managed,
    locked: policy.lock === true,
    pinByPolicy: policy.pin !== undefined,
    unlocksAllowed: policy.unlocks !== false,
    audience: policy.audience ?? 'family',
    confidentialHelp: policy.confidentialHelp ?? '',
    appealContact: policy.appealContact ?? '',
  };
}

/** The settings in force; `decision` waits for the policy as long as a PIN decision must. */
export async function readSettings(decision = false): Promise<EffectiveSettings> {
  const [stored, policy] = await Promise.all([
    browser.storage.local.get(SETTINGS_KEY),
    readManagedPolicy(decision ? POLICY_DECISION_TIMEOUT_MS : undefined),
  ]);
  return mergeSettings(stored[SETTINGS_KEY] as Partial<Settings> | undefined, policy);
}

/**
 * The one decision of where reports go, for sealing (the unit key) and delivery (the intake URL)
 * alike: the policy's pair, else the parent's saved one (an empty one included), else the
 * package's built-in one (mergeSettings). It waits for the policy as a PIN decision does: a
 * report sealed to another unit's key is refused by the intake.
 */
export async function readReportDestination(): Promise<
  Pick<Settings, 'reportDestination' | 'reportUnitKey'>
> {
  const { reportDestination, reportUnitKey } = await readSettings(true);
  return { reportDestination, reportUnitKey };
}

export async function writeSettings(settings: Settings): Promise<void> {
  const clean: Settings = {
    categories: { adult: settings.categories.adult },
    subscriptions: settings.subscriptions,
    reportDestination: settings.reportDestination,
    reportUnitKey: settings.reportUnitKey ?? '',
    language: settings.language,
    helplineNumber: settings.helplineNumber ?? DEFAULT_SETTINGS.helplineNumber,
    helplineName: settings.helplineName ?? '',
  };
  await browser.storage.local.set({ [SETTINGS_KEY]: clean });
}

/** The browser's own PIN (set on onboarding), whatever the policy says. */
export async function readOwnPinRecord(): Promise<PinRecord | undefined> {
  return (await browser.storage.local.get(PIN_KEY))[PIN_KEY] as PinRecord | undefined;
}

/** The PIN in force: the policy's; none under a lock without one; else the browser's own. */
export async function readPinRecord(): Promise<PinRecord | undefined> {
  const policy = await readManagedPolicy(POLICY_DECISION_TIMEOUT_MS);
  if (policy.pin) return policy.pin;
  if (policy.lock === true) return undefined;
  return readOwnPinRecord();
}

export async function writePinRecord(record: PinRecord): Promise<void> {
  await browser.storage.local.set({ [PIN_KEY]: record });
}
