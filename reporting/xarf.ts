/**
 * XARF v4 for the unit's case systems and partner hotlines. A user's report becomes
 * `content/csem` (a URL where exploitation was seen, detected by a user report); only once an
 * analyst has set a CSAM classification does it become `content/csam`. Nothing beyond the URL and
 * its context goes in: no evidence payloads, no reporter contact.
 */
import type { Category, Report } from './schema.js';

export const XARF_VERSION = '4.0.0';
export const CSAM_CLASSIFICATIONS = ['baseline', 'A1', 'A2', 'B1', 'B2'] as const;
export type CsamClassification = (typeof CSAM_CLASSIFICATIONS)[number];

/** The `reporter`/`sender` organisation (XARF requires all three fields). */
export interface XarfParty {
  org: string;
  contact: string;
  domain: string;
}

interface XarfCommon {
  xarf_version: string;
  report_id: string;
  timestamp: string;
  reporter: XarfParty;
  sender: XarfParty;
  source_identifier: string;
  category: 'content';
  url: string;
  domain: string;
  evidence_source: 'user_report';
  description?: string;
  tags: string[];
}

export interface XarfCsem extends XarfCommon {
  type: 'csem';
  exploitation_type: ExploitationType;
  detection_method: 'user_report';
}

export interface XarfCsam extends XarfCommon {
  type: 'csam';
  classification: CsamClassification;
  detection_method: 'user_report';
}

export type XarfReport = XarfCsem | XarfCsam;

type ExploitationType = 'grooming' | 'trafficking' | 'distribution';

/** A URL that shows abuse or exploitation material is distributing it; grooming and trafficking keep their name. */
const EXPLOITATION: Record<Category, ExploitationType> = {
  csam_suspected: 'distribution',
  csem: 'distribution',
  grooming: 'grooming',
  trafficking: 'trafficking',
  other: 'distribution',
};

export interface XarfOptions {
  /** The unit, as reporter (on behalf of an anonymous member of the public) and sender. */
  unit: XarfParty;
  classification?: CsamClassification;
}

export function toXarf(report: Report, options: XarfOptions): XarfReport {
  const host = new URL(report.url).hostname;
  const common: XarfCommon = {
    xarf_version: XARF_VERSION,
    report_id: report.id,
    timestamp: report.seenAt,
    reporter: options.unit,
    sender: options.unit,
    source_identifier: host,
    category: 'content',
    url: report.url,
    domain: host,
    evidence_source: 'user_report',
    ...(report.note === undefined ? {} : { description: report.note }),
    tags: [
      `kalkan:${report.category.replace(/_/g, '-')}`,
      `where:${report.whereFound.replace(/_/g, '-')}`,
    ],
  };
  if (options.classification !== undefined) {
    return {
      ...common,
      type: 'csam',
      classification: options.classification,
      detection_method: 'user_report',
    };
  }
  return {
    ...common,
    type: 'csem',
    exploitation_type: EXPLOITATION[report.category],
    detection_method: 'user_report',
  };
}
