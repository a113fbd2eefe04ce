/**
 * The report form: the URL and a little context, nothing else (no page content, no
 * screenshots). The worker seals it on this device and queues it for delivery. From the block
 * page only the host is shown; the worker fills in the full blocked address itself.
 */
import type { Category, WhereFound } from '../../reporting/index.js';
import { t } from './i18n.js';
import { startPage } from './status.js';
import { ask, byId } from './worker.js';

const params = new URLSearchParams(location.search);
const url = params.get('u') ?? '';
const fromBlockPage = params.get('via') === 'block-page';

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
    const reply = await ask<{ sealed: boolean }>({
      type: 'submit-report',
      draft: {
        url,
        category: byId<HTMLSelectElement>('category').value as Category,
        whereFound: byId<HTMLSelectElement>('where').value as WhereFound,
        ...(note ? { note } : {}),
        ...(contact ? { contact } : {}),
      },
    });
    const result = byId('result');
    if (reply.ok) {
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
  await startPage();
  byId('url').textContent = shown(url);
  const overview = await ask<{ configured: boolean }>({ type: 'reports' });
  byId('no-destination').hidden = !overview.ok || overview.configured;
}

void main();
