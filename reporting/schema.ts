/**
 * The report: a URL and a little context, never page content or reporter identity (unless the
 * reporter types a contact). Validated the same way on the reporting device and at the intake;
 * every error names the field it is about.
 */
import { z } from 'zod';

export const CATEGORIES = ['csam_suspected', 'csem', 'grooming', 'trafficking', 'other'] as const;
export const WHERE_FOUND = ['web_page', 'search', 'chat', 'social', 'email', 'other'] as const;
export const SOURCES = ['extension', 'resolver', 'cli'] as const;
/**
 * `report`: a site seen; `review_request`: a café asks the unit to look again at one of its
 * blocks (the console's answer to "this should not be blocked" for the abuse category).
 */
export const KINDS = ['report', 'review_request'] as const;

export type Category = (typeof CATEGORIES)[number];
export type WhereFound = (typeof WHERE_FOUND)[number];
export type ReportSource = (typeof SOURCES)[number];
export type ReportKind = (typeof KINDS)[number];

export const MAX_URL_LENGTH = 2048;
export const MAX_NOTE_LENGTH = 500;
export const MAX_CONTACT_LENGTH = 200;

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
// C0/C1 controls and the bidi/zero-width format characters that can disguise text in a triage view.
const CONTROL = /[\p{Cc}\u200B-\u200F\u202A-\u202E\u2066-\u2069\uFEFF]/gu;
const WHITESPACE_CONTROL = /[\t\n\r\v\f]+/g;

/** Removes control characters (line breaks become spaces) and trims. */
export function cleanText(text: string): string {
  return text.replace(WHITESPACE_CONTROL, ' ').replace(CONTROL, '').trim();
}

/** An http(s) URL without credentials, as the WHATWG parser serializes it. */
export function cleanUrl(input: string): { ok: true; url: string } | { ok: false; reason: string } {
  let url: URL;
  try {
    url = new URL(input.trim());
  } catch {
    return { ok: false, reason: 'is not a valid URL' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { ok: false, reason: 'must be an http or https URL' };
  }
  url.username = '';
  url.password = '';
  const text = url.href;
  if (text.length > MAX_URL_LENGTH) {
    return { ok: false, reason: `must be at most ${MAX_URL_LENGTH} characters` };
  }
  return { ok: true, url: text };
}

const isoTime = z.iso.datetime({ offset: true });

const urlField = z.string().transform((value, ctx) => {
  const result = cleanUrl(value);
  if (!result.ok) {
    ctx.addIssue({ code: 'custom', message: result.reason });
    return z.NEVER;
  }
  return result.url;
});

const cleanedText = (max: number) =>
  z
    .string()
    .transform(cleanText)
    .pipe(z.string().max(max, `must be at most ${max} characters`));

export const reportSchema = z.strictObject({
  id: z.string().regex(UUID_V4, 'must be a lower-case UUID version 4'),
  url: urlField,
  category: z.enum(CATEGORIES),
  whereFound: z.enum(WHERE_FOUND),
  seenAt: isoTime,
  createdAt: isoTime,
  note: cleanedText(MAX_NOTE_LENGTH).optional(),
  source: z.enum(SOURCES),
  contact: cleanedText(MAX_CONTACT_LENGTH).optional(),
  /** Omitted: `report` (reports made before review requests existed carry none). */
  kind: z.enum(KINDS).optional(),
});

export type Report = z.output<typeof reportSchema>;

export class ReportError extends Error {
  override name = 'ReportError';
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`);
  }
}

/** Validates and normalizes a report; throws `ReportError` naming the first bad field. */
export function parseReport(input: unknown): Report {
  const result = reportSchema.safeParse(input);
  if (result.success) {
    const report = result.data;
    // An emptied optional text is no text at all.
    if (report.note === '') delete report.note;
    if (report.contact === '') delete report.contact;
    return report;
  }
  throw toReportError(result.error);
}

export function toReportError(error: z.ZodError): ReportError {
  const issue = error.issues[0];
  if (!issue) return new ReportError('report', 'is invalid');
  if (issue.code === 'unrecognized_keys') {
    return new ReportError(issue.keys.join(', '), 'is not a report field');
  }
  const field = issue.path.length > 0 ? issue.path.join('.') : 'report';
  const missing = issue.code === 'invalid_type' && issue.input === undefined;
  return new ReportError(field, missing ? 'is required' : issue.message);
}

/** What a reporter fills in; the rest (id, times, source) the device adds. */
export interface ReportDraft {
  url: string;
  category: Category;
  whereFound?: WhereFound;
  note?: string;
  contact?: string;
  seenAt?: string;
  kind?: ReportKind;
}

export interface NewReportOptions {
  source: ReportSource;
  now?: () => Date;
  randomUUID?: () => string;
}

/** A fresh, validated report with a new id (its idempotency key from here to the intake). */
export function newReport(draft: ReportDraft, options: NewReportOptions): Report {
  const createdAt = (options.now?.() ?? new Date()).toISOString();
  return parseReport({
    id: (options.randomUUID ?? (() => crypto.randomUUID()))(),
    url: draft.url,
    category: draft.category,
    whereFound: draft.whereFound ?? 'web_page',
    seenAt: draft.seenAt ?? createdAt,
    createdAt,
    ...(draft.note === undefined ? {} : { note: draft.note }),
    source: options.source,
    ...(draft.contact === undefined ? {} : { contact: draft.contact }),
    ...(draft.kind === undefined || draft.kind === 'report' ? {} : { kind: draft.kind }),
  });
}
