/** First run: the parent chooses the PIN (the worker stores only a salted slow hash of it). */
import { errorText, t } from './i18n.js';
import { showIncognitoWarning } from './incognito.js';
import { startPage } from './status.js';
import { ask, byId } from './worker.js';

async function main(): Promise<void> {
  const status = await startPage();
  await showIncognitoWarning(byId('incognito'));
  const result = byId('result');
  if (status.pinSet) {
    byId('form').hidden = true;
    result.textContent = t('pinAlreadySet');
    return;
  }
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
}

void main();
