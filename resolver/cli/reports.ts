/** `kalkan reports …`: report a URL from this machine, and look at or flush the outbox. */

import { join } from 'node:path';
import { CATEGORY_DEFINITIONS, WHERE_FOUND_DEFINITIONS } from '../../reporting/categories.js';
import { DEFAULT_BACKOFF } from '../../reporting/delivery.js';
import type { OutboxEntry } from '../../reporting/outbox.js';
import { CATEGORIES, type Category, WHERE_FOUND, type WhereFound } from '../../reporting/schema.js';
import { ReportService } from '../reports/service.js';
import {
  defaultDataDir,
  OUTBOX_FILE,
  type ReportSettings,
  readUnitPublicKey,
  settingsFromConfig,
} from '../reports/settings.js';
import { integer, parse, runSubcommand, UsageError } from './usage.js';

const USAGE = `Usage:
  kalkan reports submit URL --category CAT [--where W] [--note TEXT] [--contact TEXT]
                 (--config FILE | --intake URL --unit-key FILE) [--data DIR]
  kalkan reports outbox (--config FILE | --intake URL --unit-key FILE) [--data DIR]
                 [--flush] [--retry ID] [--watch] [--retry-base-ms N] [--retry-max-ms N]

  CAT (what the page shows):
${CATEGORIES.map((c) => `    ${c.padEnd(15)}${CATEGORY_DEFINITIONS[c].label.en}`).join('\n')}
  W (where it was found; default web_page):
${WHERE_FOUND.map((w) => `    ${w.padEnd(15)}${WHERE_FOUND_DEFINITIONS[w].label.en}`).join('\n')}
  The outbox is DATA/${OUTBOX_FILE}; DATA is --data, else the config's reports.dataDir or
  dataDir (the outbox \`kalkan serve\` delivers from), else $KALKAN_DATA_DIR or ~/.local/share/kalkan.
  submit queues the sealed report durably, then tries to deliver it once; a report that could
  not be delivered yet stays queued for "outbox --flush" or a running resolver.
  --flush tries every queued report now; --retry ID queues a failed report again and flushes;
  --watch keeps delivering with backoff until stopped.`;

const SHARED = {
  config: { type: 'string' },
  intake: { type: 'string' },
  'unit-key': { type: 'string' },
  data: { type: 'string' },
} as const;

export function reportsCommand(args: string[]): Promise<number> {
  return runSubcommand({ submit, outbox }, args, USAGE);
}

async function settings(values: {
  config?: string;
  intake?: string;
  'unit-key'?: string;
  data?: string;
}): Promise<ReportSettings> {
  if (values.config !== undefined) {
    if (values.intake !== undefined || values['unit-key'] !== undefined) {
      throw new UsageError(`give either --config or --intake with --unit-key\n${USAGE}`);
    }
    return settingsFromConfig(values.config, values.data);
  }
  if (values.intake === undefined || values['unit-key'] === undefined) {
    throw new UsageError(`give --config FILE, or --intake URL with --unit-key FILE\n${USAGE}`);
  }
  return {
    intakeUrl: values.intake,
    unitPublicKey: await readUnitPublicKey(values['unit-key']),
    outboxPath: join(values.data ?? defaultDataDir(), OUTBOX_FILE),
  };
}

function oneOf<T extends string>(value: string, allowed: readonly T[], flag: string): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new UsageError(`${flag} must be one of ${allowed.join(', ')}, got "${value}"`);
  }
  return value as T;
}

async function submit(args: string[]): Promise<number> {
  const { values, positionals } = parse(
    args,
    {
      ...SHARED,
      category: { type: 'string' },
      where: { type: 'string' },
      note: { type: 'string' },
      contact: { type: 'string' },
    },
    USAGE,
  );
  const [url, ...extra] = positionals;
  if (url === undefined || extra.length > 0) throw new UsageError(`give one URL\n${USAGE}`);
  if (values.category === undefined) throw new UsageError(`missing --category CAT\n${USAGE}`);
  const category = oneOf<Category>(values.category, CATEGORIES, '--category');
  const whereFound = oneOf<WhereFound>(values.where ?? 'web_page', WHERE_FOUND, '--where');
  const service = new ReportService({ ...(await settings(values)), source: 'cli' });
  try {
    const queued = await service.submit({
      url,
      category,
      whereFound,
      ...(values.note === undefined ? {} : { note: values.note }),
      ...(values.contact === undefined ? {} : { contact: values.contact }),
    });
    const { entries } = await service.deliver();
    const entry = entries.find((e) => e.id === queued.id) ?? queued;
    console.log(describe(entry));
    return entry.state === 'failed' ? 1 : 0;
  } finally {
    await service.stop();
  }
}

async function outbox(args: string[]): Promise<number> {
  const { values } = parse(
    args,
    {
      ...SHARED,
      flush: { type: 'boolean' },
      retry: { type: 'string' },
      watch: { type: 'boolean' },
      'retry-base-ms': { type: 'string' },
      'retry-max-ms': { type: 'string' },
    },
    USAGE,
  );
  const backoff = {
    baseMs: integer(values['retry-base-ms'] ?? String(DEFAULT_BACKOFF.baseMs), '--retry-base-ms'),
    maxMs: integer(values['retry-max-ms'] ?? String(DEFAULT_BACKOFF.maxMs), '--retry-max-ms'),
  };
  const service = new ReportService({
    ...(await settings(values)),
    source: 'cli',
    pollMs: 1_000,
    backoff,
    onDelivery: (summary) => {
      for (const entry of summary.entries) console.log(describe(entry));
    },
  });
  if (values.watch) {
    service.start();
    await new Promise<void>((resolve) => {
      for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => resolve());
    });
    await service.stop();
    return 0;
  }
  try {
    if (values.retry !== undefined) await service.retry(values.retry);
    if (values.flush || values.retry !== undefined) await service.deliver(true);
    const entries = await service.entries();
    for (const entry of entries) console.log(describe(entry));
    const count = (state: string) => entries.filter((e) => e.state === state).length;
    console.log(
      `${count('queued')} queued, ${count('delivered')} delivered, ${count('failed')} failed`,
    );
    return 0;
  } finally {
    await service.stop();
  }
}

function describe(entry: OutboxEntry): string {
  const detail =
    entry.state === 'delivered'
      ? `at ${entry.deliveredAt}`
      : entry.state === 'failed'
        ? `(${entry.lastError}); not retried, "kalkan reports outbox" lists it`
        : entry.attempts === 0
          ? ''
          : `after ${entry.attempts} attempt(s), next ${new Date(entry.nextAttemptAt).toISOString()} (${entry.lastError})`;
  return `${entry.id} ${entry.category} ${entry.state} ${detail}`.trimEnd();
}
