/**
 * The triage index of a report, kept next to the sealed report: keyed tags of its URL and host
 * (so reports group and are found by URL or host without any URL in the clear) and the opened
 * report sealed with AES-256-GCM under a key derived from the unit's secret key (so a triage page
 * opens only the rows it shows, in microseconds, instead of one HPKE open per stored report).
 * The database still holds no URL, note or contact in the clear.
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import type { Report } from '../../reporting/schema.js';

export interface IndexEntry {
  urlTag: string;
  hostTag: string;
  /** When the reporter saw it, but never later than its arrival: a future date cannot pin it on top. */
  lastSeen: string;
  /** The opened report, sealed with the index key. */
  summary: string;
  /** The URL group's own sealed label `{url, host}`. */
  groupLabel: string;
}

export interface GroupLabel {
  url: string;
  host: string;
}

const IV_BYTES = 12;
const TAG_BYTES = 16;

export class ReportIndex {
  private readonly tagKey: Buffer;
  private readonly sealKey: Buffer;

  constructor(unitSecretKey: Uint8Array) {
    const derive = (info: string) =>
      Buffer.from(hkdfSync('sha256', unitSecretKey, 'kalkan-intake-index', info, 32));
    this.tagKey = derive('tag v1');
    this.sealKey = derive('seal v1');
  }

  entry(report: Report, receivedAt: string): IndexEntry {
    const host = new URL(report.url).hostname;
    const seen = Date.parse(report.seenAt);
    return {
      urlTag: this.urlTag(report.url),
      hostTag: this.hostTag(host),
      lastSeen: seen < Date.parse(receivedAt) ? new Date(seen).toISOString() : receivedAt,
      summary: this.seal(JSON.stringify(report)),
      groupLabel: this.seal(JSON.stringify({ url: report.url, host } satisfies GroupLabel)),
    };
  }

  urlTag(url: string): string {
    return this.tag(`url ${url}`);
  }

  hostTag(host: string): string {
    return this.tag(`host ${host.toLowerCase()}`);
  }

  openReport(summary: string): Report {
    return JSON.parse(this.open(summary)) as Report;
  }

  openLabel(label: string): GroupLabel {
    return JSON.parse(this.open(label)) as GroupLabel;
  }

  private tag(text: string): string {
    return createHmac('sha256', this.tagKey).update(text).digest('base64url').slice(0, 32);
  }

  /** Seals any text that names a reported URL or host (traces, notices) for the database. */
  seal(text: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.sealKey, iv);
    const body = Buffer.concat([cipher.update(text, 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
  }

  open(sealed: string): string {
    const bytes = Buffer.from(sealed, 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', this.sealKey, bytes.subarray(0, IV_BYTES));
    decipher.setAuthTag(bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([
      decipher.update(bytes.subarray(IV_BYTES + TAG_BYTES)),
      decipher.final(),
    ]).toString('utf8');
  }
}
