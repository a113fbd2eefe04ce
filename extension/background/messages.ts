/**
 * What the extension's pages may ask of the worker. Every change to protection needs the parent
 * PIN, checked here (not in the page, one check at a time, with a back-off kept in storage:
 * pin-guard.ts), and is refused while a policy locks the settings. The first PIN comes only from
 * the onboarding tab the worker opened (onboarding.ts).
 */

import { browser, type Runtime } from './api.js';
import { blockedTargetOf } from './blocked-targets.js';
import { hashedLists } from './hashed-lists.js';
import { guardMode, lastTargetOf } from './navigation-guard.js';
import { fromOwnOnboarding, openOnboarding, ownPinAllowed, showPinState } from './onboarding.js';
import { hashPin, pinProblem } from './pin.js';
import { checkPin } from './pin-guard.js';
import { applySettings } from './protection.js';
import { isPublicSuffix } from './public-suffix.js';
import { reports } from './report-service.js';
import { destinationOf } from './reports.js';
import {
  readOwnPinRecord,
  readPinRecord,
  readSettings,
  type Settings,
  writePinRecord,
  writeSettings,
} from './settings.js';
import { UNLOCK_MINUTES, unlockHost } from './unlock.js';
import { readUpdateStatus } from './updates.js';

export type Request =
  | { type: 'status' }
  | { type: 'set-pin'; pin: string; currentPin?: string }
  | { type: 'verify-pin'; pin: string }
  | { type: 'open-onboarding' }
  | { type: 'save-settings'; pin: string; settings: Settings }
  | { type: 'update-now' }
  | { type: 'block-info' }
  | { type: 'unlock'; pin: string; minutes: number }
  | { type: 'report-target'; url: string }
  | { type: 'deliver-reports' }
  | { type: 'reports' }
  | { type: 'retry-report'; id: string };

export type Reply = { ok: true; [key: string]: unknown } | { ok: false; error: string };

async function status(): Promise<Reply> {
  const [settings, pin, { lists }, updates] = await Promise.all([
    readSettings(true),
    readPinRecord(),
    hashedLists(),
    readUpdateStatus(),
  ]);
  const enabled = await browser.declarativeNetRequest.getEnabledRulesets();
  return {
    ok: true,
    pinSet: pin !== undefined,
    ownPinAllowed: await ownPinAllowed(),
    settings,
    categories: { abuse: true, adult: enabled.includes('adult') },
    lists,
    updates,
    version: browser.runtime.getManifest().version,
    /** 'blocking': a listed server never sees the request (docs/extension.md). */
    guard: guardMode(),
  };
}

export function handle(
  request: Request,
  sender: Runtime.MessageSender,
  runUpdates: () => Promise<void>,
): Promise<Reply> {
  switch (request.type) {
    case 'status':
      return status();
    case 'set-pin':
      return setPin(request.pin, request.currentPin, sender);
    case 'verify-pin':
      return checkPin(request.pin).then((r) =>
        r === 'ok' ? { ok: true } : { ok: false, error: r },
      );
    case 'open-onboarding':
      return openOnboarding().then((opened) =>
        opened ? { ok: true } : { ok: false, error: 'locked' },
      );
    case 'save-settings':
      return saveSettings(request.pin, request.settings);
    case 'update-now':
      return runUpdates().then(() => ({ ok: true }));
    case 'block-info':
      return blockInfo(sender);
    case 'unlock':
      return unlock(request.pin, request.minutes, sender);
    case 'report-target':
      return Promise.resolve({ ok: true, url: reportTarget(request.url, sender) });
    case 'deliver-reports':
      return reports.pump().then(() => ({ ok: true }));
    case 'reports':
      return reports.overview().then((overview) => ({ ok: true, ...overview }));
    case 'retry-report':
      return reports.retry(request.id).then(
        (retried) => (retried ? { ok: true } : { ok: false, error: 'destination' }),
        () => ({ ok: false, error: 'retry' }),
      );
  }
}

/**
 * The block page knows only the host (it never shows the full address): the report form in that
 * tab gets the blocked URL the tab was headed to from here, when it is on the same host.
 */
function reportTarget(url: string, sender: Runtime.MessageSender): string {
  const target = sender.tab?.id !== undefined ? lastTargetOf(sender.tab.id) : undefined;
  try {
    if (target && new URL(target).hostname === new URL(url).hostname) return target;
  } catch {
    // a bad URL is refused by the form's validation, naming the field
  }
  return url;
}

async function setPin(
  pin: string,
  currentPin: string | undefined,
  sender: Runtime.MessageSender,
): Promise<Reply> {
  // A school's PIN (or lock) is the school's: none is set in the browser.
  if (!(await ownPinAllowed())) return { ok: false, error: 'locked' };
  const problem = pinProblem(pin);
  if (problem) return { ok: false, error: problem };
  if (await readOwnPinRecord()) {
    const check = await checkPin(currentPin ?? '');
    if (check !== 'ok') return { ok: false, error: check };
  } else if (!(await fromOwnOnboarding(sender))) {
    return { ok: false, error: 'not-onboarding' };
  }
  await writePinRecord(await hashPin(pin));
  await showPinState();
  return { ok: true };
}

async function saveSettings(pin: string, settings: Settings): Promise<Reply> {
  const current = await readSettings(true);
  if (current.locked) return { ok: false, error: 'locked' };
  const check = await checkPin(pin);
  if (check !== 'ok') return { ok: false, error: check };
  // A page's message is data: a field it leaves out is an empty one.
  const destination = destinationOf({
    reportDestination: settings.reportDestination ?? '',
    reportUnitKey: settings.reportUnitKey ?? '',
  });
  if (!destination.ok && destination.problem !== 'none')
    return { ok: false, error: destination.problem };
  // Policy subscriptions are not the parent's to store or remove.
  const own = settings.subscriptions.filter(
    (s) => !current.managedSubscriptions.some((m) => m.url === s.url),
  );
  await writeSettings({ ...settings, subscriptions: own });
  await applySettings(readSettings());
  // Drafts kept while no destination was set are sealed by the options page on this reply.
  return { ok: true };
}

/** The host the block page in this tab stands for: the tab's blocked navigation, else its last one. */
async function blockInfo(sender: Runtime.MessageSender): Promise<Reply> {
  const tabId = sender.tab?.id;
  if (tabId === undefined) return { ok: true };
  const target = (await blockedTargetOf(tabId))?.url ?? lastTargetOf(tabId);
  return target
    ? { ok: true, host: new URL(target).hostname, origin: new URL(target).origin }
    : { ok: true };
}

/**
 * Lifts the adult block this tab was sent to the block page for, in this tab only. The host is
 * the worker's record of the tab's blocked navigation, never one the page names: the block
 * page's URL can be typed by anybody.
 */
async function unlock(pin: string, minutes: number, sender: Runtime.MessageSender): Promise<Reply> {
  if (!UNLOCK_MINUTES.includes(minutes as (typeof UNLOCK_MINUTES)[number]))
    return { ok: false, error: 'minutes' };
  const tabId = sender.tab?.id;
  const target = tabId === undefined ? undefined : await blockedTargetOf(tabId);
  if (tabId === undefined || !target) return { ok: false, error: 'nothing-blocked' };
  if (target.category !== 'adult') return { ok: false, error: 'not-allowed' };
  if (!(await readSettings(true)).unlocksAllowed) return { ok: false, error: 'unlocks-off' };
  const { hostname: host, origin } = new URL(target.url);
  // The block page offers no unlock for a public suffix either; a message is refused here.
  if (isPublicSuffix(host)) return { ok: false, error: 'not-allowed' };
  // A host any hashed list blocks (abuse) is never unlocked.
  if ((await hashedLists()).matcher.match(host).blocked) return { ok: false, error: 'not-allowed' };
  const check = await checkPin(pin);
  if (check !== 'ok') return { ok: false, error: check };
  await unlockHost(host, tabId, minutes);
  return { ok: true, origin };
}
