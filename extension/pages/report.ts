/**
 * The report form: the URL and a little context, nothing else (no page content, no
 * screenshots). The worker queues it for sealing and delivery.
 */
import type { ReportCategory } from '../background/report-queue.js';
import { t } from './i18n.js';
import { startPage } from './status.js';
import { ask, byId } from './worker.js';

const params = new URLSearchParams(location.search);
const url = params.get('u') ?? '';
const via = params.get('via') === 'block-page' ? 'block-page' : 'popup';

async function main(): Promise<void> {
  await startPage();
  byId('url').textContent = url;
  byId('form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const note = byId<HTMLTextAreaElement>('note').value.trim();
    const contact = byId<HTMLInputElement>('contact').value.trim();
    const reply = await ask({
      type: 'queue-report',
      draft: {
        url,
        category: byId<HTMLSelectElement>('category').value as ReportCategory,
        foundVia: via,
        ...(note ? { note } : {}),
        ...(contact ? { contact } : {}),
      },
    });
    byId('result').textContent = reply.ok ? t('reportQueued') : t('reportInvalid');
    byId('result').className = reply.ok ? 'ok' : 'error';
    if (reply.ok) byId('form').hidden = true;
  });
}

void main();
