/**
 * What the extension's pages may ask of the worker. Every change to protection needs the parent
 * PIN, checked here (not in the page), and is refused while a policy locks the settings.
 * Failed PIN attempts slow down: each one after the third waits twice as long as the last.
 */

import { type ReportDraft, ReportError } from '../../reporting/index.js';
import { browser, type Runtime } from './api.js';
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
  | { type: 'unlock'; pin: string; host: string; minutes: number }
  | { type: 'submit-report'; draft: ReportDraft }
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
    case 'block-info': {
      const target = sender.tab?.id !== undefined ? lastTargetOf(sender.tab.id) : undefined;
      return Promise.resolve(
        target
          ? { ok: true, host: new URL(target).hostname, origin: new URL(target).origin }
          : { ok: true },
      );
    }
    case 'unlock':
      return unlock(request.pin, request.host, request.minutes);
    case 'submit-report':
      return submitReport(request.draft, sender);
    case 'reports':
      return reports.overview().then((overview) => ({ ok: true, ...overview }));
    case 'retry-report':
      return reports.retry(request.id).then(
        () => ({ ok: true }),
        (e: Error) => ({ ok: false, error: e instanceof ReportError ? e.field : 'retry' }),
      );
  }
}

/**
 * The block page knows only the host (it never shows the full address): a report from it gets
 * the blocked URL this tab was headed to, filled in here, when it is on that host.
 */
async function submitReport(draft: ReportDraft, sender: Runtime.MessageSender): Promise<Reply> {
  const target = sender.tab?.id !== undefined ? lastTargetOf(sender.tab.id) : undefined;
  let url = draft.url;
  try {
    if (target && new URL(target).hostname === new URL(draft.url).hostname) url = target;
  } catch {
    // a bad draft URL is refused below, naming the field
  }
  try {
    const result = await reports.submit({ ...draft, url });
    // Delivery and the alarm follow in the background: the form has its answer already.
    void reports.pump();
    return { ok: true, ...result };
  } catch (e) {
    return { ok: false, error: e instanceof ReportError ? `field:${e.field}` : 'report' };
  }
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
  // Drafts kept while no destination was set are sealed and sent now.
  void reports.pump();
  return { ok: true };
}

async function unlock(pin: string, host: string, minutes: number): Promise<Reply> {
  if (!UNLOCK_MINUTES.includes(minutes as (typeof UNLOCK_MINUTES)[number]))
    return { ok: false, error: 'minutes' };
  // A host any hashed list blocks (abuse) is never unlocked.
  if ((await hashedLists()).matcher.match(host).blocked) return { ok: false, error: 'not-allowed' };
  const check = await pinOk(pin);
  if (check !== 'ok') return { ok: false, error: check };
  await unlockHost(host, minutes);
  return { ok: true };
}
