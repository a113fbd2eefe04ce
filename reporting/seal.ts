/**
 * Sealing a report to the unit's public key (HPKE base mode, one shot). The envelope carries the
 * id in the clear so outboxes and the intake can deduplicate without opening it; the id is bound
 * into HPKE's `info` and the AEAD's associated data, so a sealed body moved under another id does
 * not open.
 */
import { z } from 'zod';
import { fromBase64Url, toBase64Url, utf8 } from './encoding.js';
import { parseReport, type Report, ReportError, reportSchema, toReportError } from './schema.js';
import { suite } from './suite.js';

export const SEALED_VERSION = 1;
const INFO_PREFIX = 'kalkan-report-v1 ';

const base64Field = z
  .string()
  .max(65_536)
  .regex(/^[A-Za-z0-9_-]+$/, 'must be base64url');

export const sealedReportSchema = z.strictObject({
  v: z.literal(SEALED_VERSION),
  id: reportSchema.shape.id,
  enc: base64Field,
  ct: base64Field,
});

/** What travels and rests: `{v, id, enc, ct}`, enc and ct in base64url. */
export type SealedReport = z.output<typeof sealedReportSchema>;

export function parseSealedReport(input: unknown): SealedReport {
  const result = sealedReportSchema.safeParse(input);
  if (!result.success) throw toReportError(result.error);
  return result.data;
}

export async function sealReport(report: Report, unitPublicKey: Uint8Array): Promise<SealedReport> {
  const checked = parseReport(report);
  const binding = utf8.encode(INFO_PREFIX + checked.id);
  const recipientPublicKey = await suite.kem.deserializePublicKey(unitPublicKey);
  const { enc, ct } = await suite.seal(
    { recipientPublicKey, info: binding },
    utf8.encode(JSON.stringify(checked)),
    binding,
  );
  return {
    v: SEALED_VERSION,
    id: checked.id,
    enc: toBase64Url(new Uint8Array(enc)),
    ct: toBase64Url(new Uint8Array(ct)),
  };
}

export class OpenError extends Error {
  override name = 'OpenError';
}

/**
 * Opens a sealed report with the unit's secret key. Throws `OpenError` when it was sealed to
 * another key, altered, or moved under another id, and `ReportError` when what was sealed is not
 * a valid report.
 */
export async function openReport(sealed: SealedReport, unitSecretKey: Uint8Array): Promise<Report> {
  const enc = fromBase64Url(sealed.enc);
  const ct = fromBase64Url(sealed.ct);
  if (!enc || !ct) throw new OpenError('the sealed report is not base64url');
  const binding = utf8.encode(INFO_PREFIX + sealed.id);
  let plaintext: ArrayBuffer;
  try {
    const recipientKey = await suite.kem.deserializePrivateKey(unitSecretKey);
    plaintext = await suite.open({ recipientKey, enc, info: binding }, ct, binding);
  } catch {
    throw new OpenError('cannot open: sealed to another key, altered, or moved to another id');
  }
  let body: unknown;
  try {
    body = JSON.parse(utf8.decode(plaintext));
  } catch {
    throw new ReportError('report', 'the sealed content is not JSON');
  }
  const report = parseReport(body);
  if (report.id !== sealed.id) throw new ReportError('id', 'differs from the envelope id');
  return report;
}
