/**
 * The resolver's ReportService from its `reports:` section: the outbox lives in the section's
 * dataDir or else the resolver's data directory, and delivery runs in the background for as
 * long as the resolver does (also for reports `kalkan reports submit` queued in the same outbox).
 */
import { join } from 'node:path';
import type { Logger } from 'pino';
import { ReportService } from '../reports/service.js';
import { OUTBOX_FILE, readUnitPublicKey } from '../reports/settings.js';
import type { Config } from './config.js';

export async function startReports(
  section: NonNullable<Config['reports']>,
  dataDir: string,
  log: Logger,
): Promise<ReportService> {
  const reports = new ReportService({
    intakeUrl: section.intake,
    unitPublicKey: await readUnitPublicKey(section.unitKey),
    outboxPath: join(section.dataDir ?? dataDir, OUTBOX_FILE),
    source: 'resolver',
    onDelivery: ({ delivered, retried, failed }) =>
      log.info({ delivered, retried, failed }, 'reports: delivery pass'),
  });
  reports.start();
  return reports;
}
