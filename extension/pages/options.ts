/**
 * Options, behind the PIN: categories (abuse locked on), subscriptions (URL + publisher key),
 * report destination, language, PIN change. The worker checks the PIN again on every save.
 */
import type { Subscription } from '../background/settings.js';
import { errorText, t } from './i18n.js';
import { showIncognitoWarning } from './incognito.js';
import { sealWaitingDrafts } from './reports.js';
import { startPage } from './status.js';
import { ask, byId } from './worker.js';

let pin = '';

async function main(): Promise<void> {
  byId('gate').addEventListener('submit', async (event) => {
    event.preventDefault();
    const candidate = byId<HTMLInputElement>('gate-pin').value;
    const reply = await ask({ type: 'verify-pin', pin: candidate });
    if (!reply.ok) {
      byId('gate-result').textContent = errorText(reply.error);
      return;
    }
    pin = candidate;
    byId('gate').hidden = true;
    byId('settings').hidden = false;
  });
  const status = await startPage();
  await showIncognitoWarning(byId('incognito'));
  const s = status.settings;
  if (s.locked) byId('locked').hidden = false;
  // The school's PIN is changed in its policy, not here.
  byId('pin-change').hidden = !status.ownPinAllowed;
  const subs: Subscription[] = s.subscriptions.filter(
    (x) => !s.managedSubscriptions.some((m) => m.url === x.url),
  );
  const renderSubs = () => {
    const ul = byId('subs');
    ul.replaceChildren();
    for (const m of s.managedSubscriptions) {
      const li = document.createElement('li');
      li.textContent = `${m.url} (${t('byPolicy')})`;
      ul.append(li);
    }
    subs.forEach((sub, i) => {
      const li = document.createElement('li');
      const error = status.updates[sub.url]?.error;
      li.textContent = error ? `${sub.url} — ${t('updateRefused')}: ${error}` : sub.url;
      const remove = document.createElement('button');
      remove.type = 'button';
      remove.textContent = t('remove');
      remove.addEventListener('click', () => {
        subs.splice(i, 1);
        renderSubs();
      });
      li.append(' ', remove);
      ul.append(li);
    });
  };
  byId<HTMLInputElement>('cat-adult').checked = s.categories.adult;
  byId<HTMLInputElement>('destination').value = s.reportDestination;
  byId<HTMLInputElement>('unit-key').value = s.reportUnitKey;
  byId<HTMLSelectElement>('language').value = s.language;
  byId<HTMLInputElement>('helpline-number').value = s.helplineNumber;
  byId<HTMLInputElement>('helpline-name').value = s.helplineName;
  renderSubs();
  byId('sub-add').addEventListener('click', () => {
    const url = byId<HTMLInputElement>('sub-url').value.trim();
    const publicKey = byId<HTMLInputElement>('sub-key').value.trim();
    if (!url || !publicKey) return;
    subs.push({ url, publicKey });
    renderSubs();
  });
  const result = byId('result');
  const show = (ok: boolean, text: string) => {
    result.textContent = text;
    result.className = ok ? 'ok' : 'error';
  };
  byId('update-now').addEventListener('click', async () => {
    await ask({ type: 'update-now' });
    show(true, t('updated'));
  });
  byId('change-pin').addEventListener('click', async () => {
    const newPin = byId<HTMLInputElement>('new-pin').value;
    const reply = await ask({ type: 'set-pin', pin: newPin, currentPin: pin });
    if (reply.ok) pin = newPin;
    show(reply.ok, reply.ok ? t('pinSaved') : errorText(reply.error));
  });
  byId('settings').addEventListener('submit', async (event) => {
    event.preventDefault();
    const reply = await ask({
      type: 'save-settings',
      pin,
      settings: {
        categories: { adult: byId<HTMLInputElement>('cat-adult').checked },
        subscriptions: subs,
        reportDestination: byId<HTMLInputElement>('destination').value.trim(),
        reportUnitKey: byId<HTMLInputElement>('unit-key').value.trim(),
        language: byId<HTMLSelectElement>('language').value as 'auto',
        helplineNumber: byId<HTMLInputElement>('helpline-number').value.trim(),
        helplineName: byId<HTMLInputElement>('helpline-name').value.trim(),
      },
    });
    // Drafts kept while no destination was set are sealed before "saved" shows: a parent may
    // close the page at once, and the sealing happens here, not in the worker.
    if (reply.ok) await sealWaitingDrafts().catch(() => undefined);
    show(reply.ok, reply.ok ? t('saved') : errorText(reply.error));
  });
  // The gate opens only once the form below is filled in and wired.
  byId<HTMLButtonElement>('gate-go').disabled = false;
}

void main();
