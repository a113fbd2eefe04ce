/**
 * What the extension's pages may ask of the worker. Every change to protection needs the parent
 * PIN, checked here (not in the page), and is refused while a policy locks the settings.
 * Failed PIN attempts slow down: each one after the third waits twice as long as the last.
 */

import { browser, type Runtime } from './api.js';
import { blockedTargetOf } from './blocked-targets.js';
import { hashedLists } from './hashed-lists.js';
import { lastTargetOf } from './navigation-guard.js';
import { hashPin, pinProblem, verifyPin } from './pin.js';
import { applySettings } from './protection.js';
import { reports } from './report-service.js';
import { destinationOf } from './reports.js';
import {
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
  | { type: 'save-settings'; pin: string; settings: Settings }
  | { type: 'update-now' }
  | { type: 'block-info' }
  | { type: 'unlock'; pin: string; minutes: number }
  | { type: 'report-target'; url: string }
  | { type: 'deliver-reports' }
  | { type: 'reports' }
  | { type: 'retry-report'; id: string };

export type Reply = { ok: true; [key: string]: unknown } | { ok: false; error: string };

let failures = 0;
let lockedUntil = 0;

async function pinOk(pin: string): Promise<'ok' | 'wrong' | 'no-pin' | 'wait'> {
  if (Date.now() < lockedUntil) return 'wait';
  const record = await readPinRecord();
  if (!record) return 'no-pin';
  if (await verifyPin(pin, record)) {
    failures = 0;
    return 'ok';
  }
  failures++;
  if (failures > 3) lockedUntil = Date.now() + 1000 * 2 ** Math.min(failures - 3, 8);
  return 'wrong';
}

async function status(): Promise<Reply> {
  const [settings, pin, { lists }, updates] = await Promise.all([
    readSettings(),
    readPinRecord(),
    hashedLists(),
    readUpdateStatus(),
  ]);
  const enabled = await browser.declarativeNetRequest.getEnabledRulesets();
  return {
    ok: true,
    pinSet: pin !== undefined,
    settings,
    categories: { abuse: true, adult: enabled.includes('adult') },
    lists,
    updates,
    version: browser.runtime.getManifest().version,
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
      return setPin(request.pin, request.currentPin);
    case 'verify-pin':
      return pinOk(request.pin).then((r) => (r === 'ok' ? { ok: true } : { ok: false, error: r }));
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

async function setPin(pin: string, currentPin: string | undefined): Promise<Reply> {
  const problem = pinProblem(pin);
  if (problem) return { ok: false, error: problem };
  if (await readPinRecord()) {
    const check = await pinOk(currentPin ?? '');
    if (check !== 'ok') return { ok: false, error: check };
  }
  await writePinRecord(await hashPin(pin));
  return { ok: true };
}

async function saveSettings(pin: string, settings: Settings): Promise<Reply> {
  const current = await readSettings();
  if (current.locked) return { ok: false, error: 'locked' };
  const check = await pinOk(pin);
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
  const { hostname: host, origin } = new URL(target.url);
  // A name without a dot is a top-level domain, never one site (public suffixes are also
  // refused by the block page, which carries the public-suffix list the worker need not load).
  if (!host.includes('.')) return { ok: false, error: 'not-allowed' };
  // A host any hashed list blocks (abuse) is never unlocked.
  if ((await hashedLists()).matcher.match(host).blocked) return { ok: false, error: 'not-allowed' };
  const check = await pinOk(pin);
  if (check !== 'ok') return { ok: false, error: check };
  await unlockHost(host, tabId, minutes);
  return { ok: true, origin };
}
