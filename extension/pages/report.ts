/**
 * The report form: the URL and a little context, nothing else (no page content, no
 * screenshots). It is sealed here, on this device, and queued; the worker delivers it. From the
 * block page only the host is shown; the worker gives the full blocked address for sealing.
 */
import { type Category, ReportError, type WhereFound } from '../../reporting/index.js';
import { t } from './i18n.js';
import { deliverNow, sealing, sealWaitingDrafts } from './reports.js';
import { startPage } from './status.js';
import { ask, byId } from './worker.js';

const params = new URLSearchParams(location.search);
const url = params.get('u') ?? '';
const fromBlockPage = params.get('via') === 'block-page';
/**
 * From an adult block page only what can be found on an adult site is offered (a child shown
 * there, trafficking, something else); nothing is chosen in advance anywhere.
 */
const ADULT_SITE_CATEGORIES: readonly Category[] = ['csam_suspected', 'trafficking', 'other'];

function offerFittingCategories(): void {
  if (!fromBlockPage || params.get('c') !== 'adult') return;
  const select = byId<HTMLSelectElement>('category');
  for (const option of [...select.options])
    if (option.value && !ADULT_SITE_CATEGORIES.includes(option.value as Category)) option.remove();
}

/** The form's label for a field a ReportError names. */
const FIELD_LABELS: Record<string, string> = {
  url: 'reportUrl',
  category: 'reportCategory',
  whereFound: 'reportWhere',
  note: 'reportNote',
  contact: 'reportContact',
};

function shown(address: string): string {
  if (!fromBlockPage) return address;
  try {
    return new URL(address).hostname;
  } catch {
    return '';
  }
}

async function main(): Promise<void> {
  // Wired first, so a quick submit never falls through to a plain form submission.
  byId('form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const note = byId<HTMLTextAreaElement>('note').value.trim();
    const contact = byId<HTMLInputElement>('contact').value.trim();
    const target = await ask<{ url: string }>({ type: 'report-target', url });
    const reply = await sealing
      .submit({
        url: target.ok ? target.url : url,
        category: byId<HTMLSelectElement>('category').value as Category,
        whereFound: byId<HTMLSelectElement>('where').value as WhereFound,
        ...(note ? { note } : {}),
        ...(contact ? { contact } : {}),
      })
      .then(
        (submitted) => ({ ok: true, ...submitted }) as const,
        (e: unknown) =>
          ({ ok: false, error: e instanceof ReportError ? `field:${e.field}` : 'report' }) as const,
      );
    const result = byId('result');
    if (reply.ok) {
      // Delivery follows in the worker: the form has its answer already.
      deliverNow();
      result.textContent = t(reply.sealed ? 'reportQueued' : 'reportKeptNoDestination');
      result.className = reply.sealed ? 'ok' : 'warning';
      byId('form').hidden = true;
      return;
    }
    const field = reply.error.startsWith('field:') ? reply.error.slice(6) : '';
    const label = FIELD_LABELS[field];
    result.textContent =
      field === 'url' || !label ? t('reportInvalid') : t('reportFieldInvalid', [t(label)]);
    result.className = 'error';
  });
  offerFittingCategories();
  await startPage();
  byId('url').textContent = shown(url);
  const overview = await ask<{ configured: boolean }>({ type: 'reports' });
  byId('no-destination').hidden = !overview.ok || overview.configured;
  await sealWaitingDrafts();
}

void main();
