/**
 * The popup: protection state, lists in force with versions and update times, "Report this
 * page", and this browser's reports (queued / delivered / failed, with a retry for failed).
 * `?tab=ID` names the page to report when the popup is opened as a page of its own.
 */
import browser from 'webextension-polyfill';
import type { ReportsOverview } from '../background/reports.js';
import { t } from './i18n.js';
import { showIncognitoWarning } from './incognito.js';
import { relativeTime } from './relative-time.js';
import { sealWaitingDrafts } from './reports.js';
import { startPage } from './status.js';
import { ask, byId } from './worker.js';

const STATE_KEYS = {
  queued: 'reportStateQueued',
  delivered: 'reportStateDelivered',
  failed: 'reportStateFailed',
} as const;
const CATEGORY_KEYS = {
  csam_suspected: 'reportCatCsam',
  csem: 'reportCatCsem',
  grooming: 'reportCatGrooming',
  trafficking: 'reportCatTrafficking',
  other: 'reportCatOther',
} as const;

/**
 * In school mode the computer is shared: "Your reports" shows how many reports are in each
 * state, never what they were about (the next pupil would see the last one's categories).
 */
function showCounts(entries: ReportsOverview['entries'], list: HTMLElement): void {
  for (const state of Object.keys(STATE_KEYS) as (keyof typeof STATE_KEYS)[]) {
    const count = entries.filter((e) => e.state === state).length;
    if (!count) continue;
    const li = document.createElement('li');
    li.dataset.state = state;
    li.textContent = t('reportCountLine', [t(STATE_KEYS[state]), String(count)]);
    list.append(li);
  }
}

async function showReports(school: boolean): Promise<void> {
  await sealWaitingDrafts().catch(() => undefined);
  const overview = await ask<ReportsOverview & Record<string, unknown>>({ type: 'reports' });
  if (!overview.ok) return;
  const waiting = byId('reports-waiting');
  waiting.hidden = overview.waiting === 0;
  waiting.textContent = t('reportsWaitingDestination', [String(overview.waiting)]);
  const list = byId('report-list');
  list.replaceChildren();
  byId('reports').hidden = overview.entries.length === 0 && overview.waiting === 0;
  if (school) {
    showCounts(overview.entries, list);
    return;
  }
  for (const entry of overview.entries) {
    const li = document.createElement('li');
    li.dataset.state = entry.state;
    li.textContent = t('reportLine', [
      new Date(entry.createdAt).toLocaleString(),
      t(CATEGORY_KEYS[entry.category]),
      t(STATE_KEYS[entry.state]),
    ]);
    if (entry.state === 'failed') {
      const retry = document.createElement('button');
      retry.type = 'button';
      retry.className = 'retry';
      retry.textContent = t('reportRetry');
      retry.addEventListener('click', async () => {
        await ask({ type: 'retry-report', id: entry.id });
        await showReports(school);
      });
      li.append(' ', retry);
    }
    list.append(li);
  }
}

async function pageToReport(): Promise<string> {
  const named = new URLSearchParams(location.search).get('tab');
  if (named) return (await browser.tabs.get(Number(named))).url ?? '';
  const [tab] = await browser.tabs.query({ active: true, currentWindow: true });
  return tab?.url ?? '';
}

async function main(): Promise<void> {
  // Wired first: the button works before the status below has loaded.
  byId('report').addEventListener('click', async () => {
    const query = new URLSearchParams({ u: await pageToReport(), via: 'popup' });
    await browser.tabs.create({ url: browser.runtime.getURL(`pages/report.html?${query}`) });
    window.close();
  });
  const status = await startPage();
  byId('state').textContent = t(status.categories.adult ? 'stateOnAll' : 'stateOnAbuseOnly');
  if (!status.pinSet && status.ownPinAllowed) {
    byId('no-pin').hidden = false;
    byId('set-pin').addEventListener('click', async () => {
      await ask({ type: 'open-onboarding' });
      window.close();
    });
  }
  const list = byId('lists');
  for (const l of status.lists) {
    const li = document.createElement('li');
    const error = l.url ? status.updates[l.url]?.error : undefined;
    // In words, not numbers: "updated 2 hours ago" (the sequence is in the title for support).
    li.textContent = l.updatedAt
      ? t('listUpdated', [l.name, relativeTime(new Date(l.updatedAt), t('langCode'))])
      : t('listPackaged', [l.name]);
    li.title = t('listVersion', [String(l.sequence)]);
    if (error) li.append(` — ${t('updateRefused')}`);
    list.append(li);
  }
  const adult = document.createElement('li');
  adult.textContent = t('adultBundled', [status.version]);
  list.append(adult);
  await showIncognitoWarning(byId('incognito'));
  byId('options').addEventListener('click', () => browser.runtime.openOptionsPage());
  await showReports(status.settings.audience === 'school');
}

void main();
