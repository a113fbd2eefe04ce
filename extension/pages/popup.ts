/** The popup: protection state, lists in force with versions and update times, "Report this page". */
import browser from 'webextension-polyfill';
import { t } from './i18n.js';
import { showIncognitoWarning } from './incognito.js';
import { startPage } from './status.js';
import { byId } from './worker.js';

async function main(): Promise<void> {
  const status = await startPage();
  byId('state').textContent = t(status.categories.adult ? 'stateOnAll' : 'stateOnAbuseOnly');
  const list = byId('lists');
  for (const l of status.lists) {
    const li = document.createElement('li');
    const when = l.updatedAt ? new Date(l.updatedAt).toLocaleString() : t('packaged');
    const error = l.url ? status.updates[l.url]?.error : undefined;
    li.textContent = t('listLine', [l.name, String(l.sequence), when]);
    if (error) li.append(` — ${t('updateRefused')}`);
    list.append(li);
  }
  const adult = document.createElement('li');
  adult.textContent = t('adultBundled', [status.version]);
  list.append(adult);
  await showIncognitoWarning(byId('incognito'));
  byId('options').addEventListener('click', () => browser.runtime.openOptionsPage());
  byId('report').addEventListener('click', async () => {
    const [tab] = await browser.tabs.query({ active: true, currentWindow: true });
    const query = new URLSearchParams({ u: tab?.url ?? '', via: 'popup' });
    await browser.tabs.create({ url: browser.runtime.getURL(`pages/report.html?${query}`) });
    window.close();
  });
}

void main();
