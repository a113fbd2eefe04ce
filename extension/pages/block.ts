/**
 * The block page: category and host only (never the full URL), "Report this site", and for
 * adult blocks only, "Ask a parent" to unlock the host for a while with the PIN.
 */
import { getDomain } from 'tldts';
import { UNLOCK_MINUTES } from '../background/unlock.js';
import { errorText, t } from './i18n.js';
import { startPage } from './status.js';
import { ask, byId } from './worker.js';

const params = new URLSearchParams(location.search);
const category = params.get('c') ?? 'abuse';

async function main(): Promise<void> {
  const status = await startPage();
  // The worker knows what this tab was blocked from; the URL's `h` is only a fallback to show.
  const info = await ask<{ host?: string }>({ type: 'block-info' });
  const host = (info.ok && info.host) || params.get('h') || '';
  byId('host').textContent = host;
  byId('reason').textContent = t(category === 'adult' ? 'blockReasonAdult' : 'blockReasonAbuse');
  document.title = t('blockTitle');
  byId('report').addEventListener('click', () => {
    const query = new URLSearchParams({ u: `http://${host}/`, via: 'block-page' });
    location.href = `report.html?${query}`;
  });
  if (category !== 'adult') {
    byId('never').hidden = false;
    return;
  }
  const select = byId<HTMLSelectElement>('minutes');
  for (const m of UNLOCK_MINUTES) select.add(new Option(t('minutes', [String(m)]), String(m)));
  // A public suffix (`test`, `co.uk`) is never one site: no unlock is offered for it.
  byId('unlock').hidden =
    !status.settings.unlocksAllowed ||
    !host ||
    getDomain(host, { allowPrivateDomains: true }) === null;
  byId('unlock-go').addEventListener('click', async () => {
    const reply = await ask<{ origin: string }>({
      type: 'unlock',
      pin: byId<HTMLInputElement>('pin').value,
      minutes: Number(select.value),
    });
    if (reply.ok) location.href = `${reply.origin}/`;
    else byId('unlock-result').textContent = errorText(reply.error);
  });
}

void main();
