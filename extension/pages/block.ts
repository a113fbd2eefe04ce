/**
 * The block page: category and host only (never the full URL). It speaks to whoever is there:
 * a child is told they are not in trouble, to tell a trusted adult (a teacher in school mode),
 * the children's helpline and a button that closes the tab; on an abuse block an adult is told
 * that such material is a crime and that access can be traced, with confidential help when the
 * policy names it. Then how to appeal a wrong block, "Report this site", and for adult blocks
 * "Ask a parent" (or teacher) to unlock the host for a while with the PIN. Inside a frame of
 * another site it shows nothing (a site must not frame or probe it).
 */
import browser from 'webextension-polyfill';
import { isPublicSuffix } from '../background/public-suffix.js';
import { UNLOCK_MINUTES } from '../background/unlock.js';
import { errorText, t } from './i18n.js';
import { startPage } from './status.js';
import { ask, byId } from './worker.js';

const params = new URLSearchParams(location.search);
const category = params.get('c') ?? 'abuse';

async function main(): Promise<void> {
  if (window.top !== window) return;
  const status = await startPage();
  const s = status.settings;
  const school = s.audience === 'school';
  // The worker knows what this tab was blocked from; the URL's `h` is only a fallback to show.
  const info = await ask<{ host?: string }>({ type: 'block-info' });
  const host = (info.ok && info.host) || params.get('h') || '';
  byId('host').textContent = host;
  const abuse = category !== 'adult';
  byId('reason').textContent = t(abuse ? 'blockReasonAbuse' : 'blockReasonAdult');
  document.title = t('blockTitle');

  byId('child-heading').textContent = t('blockChildHeading');
  byId('tell-adult').textContent = t(school ? 'blockTellTeacher' : 'blockTellAdult');
  if (s.helplineNumber) {
    const line = byId('helpline');
    line.textContent = s.helplineName
      ? t('blockHelplineNamed', [s.helplineName, s.helplineNumber])
      : t('blockHelpline', [s.helplineNumber]);
    line.hidden = false;
  }
  byId('close').addEventListener('click', async () => {
    const tab = await browser.tabs.getCurrent();
    if (tab?.id !== undefined) await browser.tabs.remove(tab.id);
  });
  if (abuse) {
    byId('adult').hidden = false;
    if (s.confidentialHelp) {
      const help = byId('confidential-help');
      help.textContent = t('blockConfidentialHelp', [s.confidentialHelp]);
      help.hidden = false;
    }
  }
  byId('appeal').textContent = s.appealContact
    ? t('blockAppealContact', [s.appealContact])
    : t(school ? 'blockAppealSchool' : 'blockAppealFamily');
  byId('report').addEventListener('click', () => {
    const query = new URLSearchParams({ u: `http://${host}/`, via: 'block-page', c: category });
    location.href = `report.html?${query}`;
  });
  document.body.hidden = false;
  if (abuse) {
    byId('never').hidden = false;
    return;
  }
  byId('unlock-heading').textContent = t(school ? 'askTeacher' : 'askParent');
  byId('pin-label').textContent = t(school ? 'pinLabelSchool' : 'pinLabel');
  const select = byId<HTMLSelectElement>('minutes');
  for (const m of UNLOCK_MINUTES) select.add(new Option(t('minutes', [String(m)]), String(m)));
  // A public suffix (`test`, `co.uk`) is never one site: no unlock is offered for it.
  byId('unlock').hidden = !s.unlocksAllowed || !host || isPublicSuffix(host);
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
