/**
 * The block page: category and host only (never the full URL), "Report this site", and for
 * adult blocks only, "Ask a parent" to unlock the host for a while with the PIN.
 */
import { UNLOCK_MINUTES } from '../background/unlock.js';
import { errorText, t } from './i18n.js';
import { startPage } from './status.js';
import { ask, byId } from './worker.js';

const params = new URLSearchParams(location.search);
const category = params.get('c') ?? 'abuse';

async function main(): Promise<void> {
  await startPage();
  let host = params.get('h') ?? '';
  let origin = host ? `https://${host}` : '';
  if (!host) {
    const info = await ask<{ host?: string; origin?: string }>({ type: 'block-info' });
    if (info.ok && info.host) {
      host = info.host;
      origin = info.origin ?? `https://${host}`;
    }
  }
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
  byId('unlock').hidden = !host;
  byId('unlock-go').addEventListener('click', async () => {
    const reply = await ask({
      type: 'unlock',
      pin: byId<HTMLInputElement>('pin').value,
      host,
      minutes: Number(select.value),
    });
    if (reply.ok) location.href = `${origin}/`;
    else byId('unlock-result').textContent = errorText(reply.error);
  });
}

void main();
