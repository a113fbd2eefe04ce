/**
 * First run: the parent chooses the PIN (the worker stores only a salted slow hash of it). The
 * worker takes a first PIN only from this page in the tab it opened itself.
 */
import { errorText, t } from './i18n.js';
import { showIncognitoWarning } from './incognito.js';
import { startPage } from './status.js';
import { ask, byId } from './worker.js';

async function main(): Promise<void> {
  const result = byId('result');
  // Wired first, so a quick submit never falls through to a plain form submission.
  byId('form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const pin = byId<HTMLInputElement>('pin').value;
    if (pin !== byId<HTMLInputElement>('pin2').value) {
      result.textContent = t('pinMismatch');
      result.className = 'error';
      return;
    }
    const reply = await ask({ type: 'set-pin', pin });
    result.textContent = reply.ok ? t('pinSaved') : errorText(reply.error);
    result.className = reply.ok ? 'ok' : 'error';
    if (reply.ok) byId('form').hidden = true;
  });
  const status = await startPage();
  await showIncognitoWarning(byId('incognito'));
  if (status.pinSet) {
    byId('form').hidden = true;
    result.textContent = t('pinAlreadySet');
    return;
  }
  byId<HTMLButtonElement>('pin-save').disabled = false;
}

void main();
