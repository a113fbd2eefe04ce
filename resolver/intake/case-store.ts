/**
 * The database side of the hotline workflow for confirmed URLs: traces, notices and referrals,
 * removal, legal holds, the rows statistics count, retention rules and purges and the RDAP cache. Shares
 * the intake's SQLite connection (its schema is in store.ts).
 */
import type Database from 'better-sqlite3';
import type { CsamClassification } from '../../reporting/xarf.js';
import { type CaseState, type TriageState, type WorkflowState, workflowState } from './states.js';
import type { AbuseContact } from './trace/rdap.js';

export const NOTICE_KINDS = ['notice', 'referral', 'police'] as const;
export type NoticeKind = (typeof NOTICE_KINDS)[number];

export interface CaseRecord {
  urlTag: string;
  hostTag: string;
  label: string;
  state: CaseState;
  firstReceived?: string;
  assessedAt?: string;
  noticeAt?: string;
  removedAt?: string;
  trace?: string;
  tracedAt?: string;
  country?: string;
  legalHold: boolean;
  reports: number;
}

export interface NoticeRecord {
  seq: number;
  urlTag: string;
  kind: NoticeKind;
  recipient: string;
  language: string;
  createdAt: string;
  createdBy: string;
  /** The notice text and XARF, sealed with the index key (they hold the URL). */
  body: string;
}

/** One report as statistics see it: aggregates only leave this module's callers. */
export interface StatsRow {
  receivedAt: string;
  summary: string;
  state: WorkflowState;
  classification?: CsamClassification;
  country?: string;
  firstReceived?: string;
  removedAt?: string;
  urlTag: string;
}

export class CaseStore {
  constructor(
    private readonly db: Database.Database,
    private readonly audit: (at: string, user: string, action: string, detail: string) => void,
    /** Told the bytes of purged reports, for the store's total. */
    private readonly freed: (bytes: number) => void,
  ) {}

  caseOf(urlTag: string): CaseRecord | undefined {
    const row = this.db.prepare('SELECT * FROM url_groups WHERE url_tag = ?').get(urlTag) as
      | Record<string, string | number | null>
      | undefined;
    if (!row) return undefined;
    const text = (key: string) => (typeof row[key] === 'string' ? (row[key] as string) : undefined);
    const optional = (key: string, name: keyof CaseRecord) => {
      const value = text(key);
      return value === undefined ? {} : { [name]: value };
    };
    return {
      urlTag,
      hostTag: text('host_tag') ?? '',
      label: text('label') ?? '',
      state: (text('case_state') ?? 'new') as CaseState,
      legalHold: row.legal_hold === 1,
      reports: Number(row.reports),
      ...optional('first_received', 'firstReceived'),
      ...optional('assessed_at', 'assessedAt'),
      ...optional('notice_at', 'noticeAt'),
      ...optional('removed_at', 'removedAt'),
      ...optional('trace', 'trace'),
      ...optional('traced_at', 'tracedAt'),
      ...optional('country', 'country'),
    } as CaseRecord;
  }

  /** A host's trace (sealed) and hosting country, on every URL of that host. */
  setTrace(hostTag: string, sealedTrace: string, country: string | undefined, at: string): void {
    this.db
      .prepare('UPDATE url_groups SET trace = ?, traced_at = ?, country = ? WHERE host_tag = ?')
      .run(sealedTrace, at, country ?? null, hostTag);
  }

  /** Records a notice or referral the analyst made (never sent by the intake) and moves the case on. */
  recordNotice(notice: Omit<NoticeRecord, 'seq'>): number {
    return this.db.transaction(() => {
      const seq = Number(
        this.db
          .prepare(
            'INSERT INTO notices (url_tag, kind, recipient, language, created_at, created_by, body) VALUES (?, ?, ?, ?, ?, ?, ?)',
          )
          .run(
            notice.urlTag,
            notice.kind,
            notice.recipient,
            notice.language,
            notice.createdAt,
            notice.createdBy,
            notice.body,
          ).lastInsertRowid,
      );
      this.db
        .prepare(
          `UPDATE url_groups SET case_state = ?, notice_at = coalesce(notice_at, ?)
WHERE url_tag = ? AND case_state IN ('assessed', 'notice_sent', 'referred')`,
        )
        .run(
          notice.kind === 'notice' ? 'notice_sent' : 'referred',
          notice.createdAt,
          notice.urlTag,
        );
      this.audit(
        notice.createdAt,
        notice.createdBy,
        `${notice.kind} recorded`,
        `notice ${seq} to ${notice.recipient} (${notice.language}); group ${notice.urlTag}`,
      );
      return seq;
    })();
  }

  notices(urlTag?: string): NoticeRecord[] {
    const rows = this.db
      .prepare(
        `SELECT seq, url_tag AS urlTag, kind, recipient, language, created_at AS createdAt, created_by AS createdBy, body
FROM notices ${urlTag === undefined ? '' : 'WHERE url_tag = ?'} ORDER BY seq`,
      )
      .all(...(urlTag === undefined ? [] : [urlTag])) as NoticeRecord[];
    return rows;
  }

  notice(seq: number): NoticeRecord | undefined {
    return this.db
      .prepare(
        `SELECT seq, url_tag AS urlTag, kind, recipient, language, created_at AS createdAt, created_by AS createdBy, body
FROM notices WHERE seq = ?`,
      )
      .get(seq) as NoticeRecord | undefined;
  }

  /** Marks a confirmed URL removed (the time to removal counts from its first report). */
  markRemoved(urlTag: string, user: string, now: string): boolean {
    return this.db.transaction(() => {
      const changed =
        this.db
          .prepare(
            "UPDATE url_groups SET case_state = 'removed', removed_at = ? WHERE url_tag = ? AND case_state IN ('assessed', 'notice_sent', 'referred')",
          )
          .run(now, urlTag).changes > 0;
      if (changed) this.audit(now, user, 'mark removed', `group ${urlTag}`);
      return changed;
    })();
  }

  setLegalHold(urlTag: string, hold: boolean, user: string, now: string): void {
    this.db.transaction(() => {
      this.db
        .prepare('UPDATE url_groups SET legal_hold = ? WHERE url_tag = ?')
        .run(hold ? 1 : 0, urlTag);
      this.audit(now, user, hold ? 'legal hold set' : 'legal hold lifted', `group ${urlTag}`);
    })();
  }

  /** Every indexed report with its workflow state, hosting country and removal times. */
  statsRows(): StatsRow[] {
    const rows = this.db
      .prepare(
        `SELECT r.received_at AS receivedAt, r.summary, r.status, r.classification, g.case_state AS caseState, g.country,
  g.first_received AS firstReceived, g.removed_at AS removedAt, g.url_tag AS urlTag
FROM reports r JOIN url_groups g ON g.url_tag = r.url_tag WHERE r.summary IS NOT NULL`,
      )
      .all() as {
      receivedAt: string;
      summary: string;
      status: TriageState;
      classification: CsamClassification | null;
      caseState: CaseState;
      country: string | null;
      firstReceived: string | null;
      removedAt: string | null;
      urlTag: string;
    }[];
    return rows.map((r) => ({
      receivedAt: r.receivedAt,
      summary: r.summary,
      urlTag: r.urlTag,
      state: workflowState(r.status, r.caseState),
      ...(r.classification ? { classification: r.classification } : {}),
      ...(r.country ? { country: r.country } : {}),
      ...(r.firstReceived ? { firstReceived: r.firstReceived } : {}),
      ...(r.removedAt ? { removedAt: r.removedAt } : {}),
    }));
  }

  /**
   * Deletes reports older than their state's retention (days, by arrival), except those of URLs
   * under a legal hold, with one audit entry naming how many per state. Empty URL groups go too.
   */
  purge(
    retentionDays: Partial<Record<WorkflowState, number>>,
    user: string,
    now: Date,
  ): Record<string, number> {
    const purged: Record<string, number> = {};
    this.db.transaction(() => {
      const rows = this.db
        .prepare(
          `SELECT r.id, r.received_at AS receivedAt, r.status, r.bytes, g.case_state AS caseState, g.legal_hold AS hold
FROM reports r LEFT JOIN url_groups g ON g.url_tag = r.url_tag`,
        )
        .all() as {
        id: string;
        receivedAt: string;
        status: TriageState;
        bytes: number;
        caseState: CaseState | null;
        hold: number | null;
      }[];
      const remove = this.db.prepare('DELETE FROM reports WHERE id = ?');
      for (const row of rows) {
        const state = workflowState(row.status, row.caseState ?? 'new');
        const days = retentionDays[state];
        if (days === undefined || row.hold === 1) continue;
        if (now.getTime() - Date.parse(row.receivedAt) < days * 86_400_000) continue;
        remove.run(row.id);
        this.freed(row.bytes);
        purged[state] = (purged[state] ?? 0) + 1;
      }
      this.db.exec(`UPDATE url_groups SET
  reports = (SELECT count(*) FROM reports r WHERE r.url_tag = url_groups.url_tag),
  new_reports = (SELECT count(*) FROM reports r WHERE r.url_tag = url_groups.url_tag AND r.status = 'new');
DELETE FROM url_groups WHERE reports = 0;`);
      const detail = Object.entries(purged)
        .map(([state, n]) => `${n} ${state}`)
        .join(', ');
      this.audit(now.toISOString(), user, 'purge', detail || 'nothing due');
    })();
    return purged;
  }

  /**
   * Retention rules a supervisor set in the triage, per state: days, or null for "kept" (no
   * purge). They take precedence over `--keep` (see retention.ts `effectiveRetention`).
   */
  readonly retentionRules = {
    get: (): Partial<Record<WorkflowState, number | null>> => {
      const rows = this.db.prepare('SELECT state, days FROM retention_rules').all() as {
        state: WorkflowState;
        days: number | null;
      }[];
      return Object.fromEntries(rows.map((r) => [r.state, r.days]));
    },
    /** Sets the states named (the rest stay as they are), with one audit entry. */
    set: (rules: Partial<Record<WorkflowState, number | null>>, user: string, now: Date) => {
      const at = now.toISOString();
      this.db.transaction(() => {
        const upsert = this.db.prepare(
          'INSERT INTO retention_rules (state, days, set_by, set_at) VALUES (?, ?, ?, ?) ON CONFLICT (state) DO UPDATE SET days = excluded.days, set_by = excluded.set_by, set_at = excluded.set_at',
        );
        for (const [state, days] of Object.entries(rules)) upsert.run(state, days, user, at);
        const detail = Object.entries(rules)
          .map(([state, days]) => `${state} ${days === null ? 'kept' : `${days} day(s)`}`)
          .join(', ');
        this.audit(at, user, 'retention set', detail);
      })();
    },
  };

  /** RDAP answers (registry data about an address, nothing about a reported URL). */
  readonly rdapCache = {
    get: (ip: string) => {
      const row = this.db
        .prepare('SELECT fetched_at AS at, contact FROM rdap_cache WHERE ip = ?')
        .get(ip) as { at: number; contact: string } | undefined;
      return row && { at: row.at, contact: JSON.parse(row.contact) as AbuseContact };
    },
    put: (ip: string, at: number, contact: AbuseContact) => {
      this.db
        .prepare(
          'INSERT INTO rdap_cache (ip, fetched_at, contact) VALUES (?, ?, ?) ON CONFLICT (ip) DO UPDATE SET fetched_at = excluded.fetched_at, contact = excluded.contact',
        )
        .run(ip, at, JSON.stringify(contact));
    },
  };
}
