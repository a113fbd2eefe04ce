/**
 * The intake's database (SQLite, better-sqlite3). Reports are stored as received: sealed, with
 * their id, arrival time, triage state and the keyed index of report-index.ts (tags and
 * AES-GCM sealed text), so the file and its backups hold no URL in the clear. URL groups are kept
 * as rows of their own so a triage page is an index scan however many reports are stored. Every
 * write is committed with `synchronous = FULL` before the caller answers.
 */
import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { SealedReport } from '../../reporting/seal.js';
import type { CsamClassification } from '../../reporting/xarf.js';
import { CaseStore } from './case-store.js';
import type { IndexEntry } from './report-index.js';
import type { CaseState, TriageState } from './states.js';

export const ROLES = ['analyst', 'supervisor'] as const;
export type Role = (typeof ROLES)[number];

export interface StoredReport {
  sealed: SealedReport;
  receivedAt: string;
  status: TriageState;
  classification?: CsamClassification;
  /** The index's sealed copy of the opened report; absent on rows stored before the index. */
  summary?: string;
  /** Its URL's way to removal. */
  caseState?: CaseState;
}

export interface AuditEntry {
  at: string;
  user: string;
  action: string;
  detail: string;
}

export interface UserRecord {
  name: string;
  passwordHash: string;
  role: Role;
  totpSecret: string;
  /** The last TOTP time step accepted, so a code is never accepted twice. */
  totpLastStep: number;
}

export interface GroupRow {
  urlTag: string;
  hostTag: string;
  label: string;
  firstSeen: string;
  lastSeen: string;
  reports: number;
  newReports: number;
}

export interface GroupQuery {
  urlTag?: string;
  hostTag?: string;
  onlyNew?: boolean;
  limit: number;
  offset: number;
}

/** What the page shows of one URL group's reports, and the last report it includes. */
export interface GroupReports {
  throughSeq: number;
  states: { status: TriageState; classification?: CsamClassification; count: number }[];
  /** The most recent reports' sealed summaries (newest first). */
  recent: { id: string; summary: string }[];
}

export type InsertResult = 'stored' | 'same' | 'conflict';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS reports (
  id TEXT PRIMARY KEY,
  sealed TEXT NOT NULL,
  received_at TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'new',
  classification TEXT
);
CREATE TABLE IF NOT EXISTS url_groups (
  url_tag TEXT PRIMARY KEY,
  host_tag TEXT NOT NULL,
  label TEXT NOT NULL,
  first_seen TEXT NOT NULL,
  last_seen TEXT NOT NULL,
  reports INTEGER NOT NULL,
  new_reports INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS url_groups_by_last_seen ON url_groups (last_seen DESC, url_tag);
CREATE INDEX IF NOT EXISTS url_groups_by_host ON url_groups (host_tag);
CREATE TABLE IF NOT EXISTS users (
  name TEXT PRIMARY KEY,
  password_hash TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS audit (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  at TEXT NOT NULL,
  user TEXT NOT NULL,
  action TEXT NOT NULL,
  detail TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS failed_signins (
  day TEXT NOT NULL,
  account TEXT NOT NULL,
  count INTEGER NOT NULL,
  first_at TEXT NOT NULL,
  last_at TEXT NOT NULL,
  PRIMARY KEY (day, account)
);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS retention_rules (state TEXT PRIMARY KEY, days INTEGER, set_by TEXT NOT NULL, set_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS rdap_cache (ip TEXT PRIMARY KEY, fetched_at INTEGER NOT NULL, contact TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS notices (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  url_tag TEXT NOT NULL,
  kind TEXT NOT NULL,
  recipient TEXT NOT NULL,
  language TEXT NOT NULL,
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL,
  body TEXT NOT NULL
);`;

/** Columns added since the first schema: added in place, so an older database opens as is. */
const ADDED_COLUMNS: [table: string, column: string, definition: string][] = [
  ['reports', 'seq', 'INTEGER'],
  ['reports', 'url_tag', 'TEXT'],
  ['reports', 'host_tag', 'TEXT'],
  ['reports', 'last_seen', 'TEXT'],
  ['reports', 'bytes', 'INTEGER NOT NULL DEFAULT 0'],
  ['reports', 'summary', 'TEXT'],
  ['url_groups', 'case_state', "TEXT NOT NULL DEFAULT 'new'"],
  ['url_groups', 'first_received', 'TEXT'],
  ['url_groups', 'assessed_at', 'TEXT'],
  ['url_groups', 'notice_at', 'TEXT'],
  ['url_groups', 'removed_at', 'TEXT'],
  ['url_groups', 'trace', 'TEXT'],
  ['url_groups', 'traced_at', 'TEXT'],
  ['url_groups', 'country', 'TEXT'],
  ['url_groups', 'legal_hold', 'INTEGER NOT NULL DEFAULT 0'],
  ['users', 'role', "TEXT NOT NULL DEFAULT 'analyst'"],
  ['users', 'totp_secret', "TEXT NOT NULL DEFAULT ''"],
  ['users', 'totp_last_step', 'INTEGER NOT NULL DEFAULT 0'],
];

export const DATABASE_FILE = 'intake.sqlite';

/** An unknown account name is never written down: what was typed may be a password. */
export const UNKNOWN_ACCOUNT = '(no such account)';

export class IntakeStore {
  private readonly db: Database.Database;
  private bytes: number;
  /** Confirmed URLs' way to removal: traces, notices, holds, statistics, retention. */
  readonly cases: CaseStore;

  constructor(dataDir: string) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const path = join(dataDir, DATABASE_FILE);
    this.db = new Database(path);
    chmodSync(path, 0o600);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
    for (const [table, column, definition] of ADDED_COLUMNS) {
      const columns = this.db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[];
      if (!columns.some((c) => c.name === column)) {
        this.db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${definition}`);
      }
    }
    this.db.exec(`CREATE INDEX IF NOT EXISTS reports_by_group ON reports (url_tag, seq);
UPDATE reports SET seq = rowid WHERE seq IS NULL;
UPDATE reports SET bytes = length(sealed) WHERE bytes = 0;`);
    this.bytes = (
      this.db.prepare('SELECT total(bytes) AS n FROM reports').get() as { n: number }
    ).n;
    this.cases = new CaseStore(
      this.db,
      (at, user, action, detail) => this.logNow(at, user, action, detail),
      (bytes) => {
        this.bytes -= bytes;
      },
    );
  }

  /** Stores a new sealed report with its index; the same id again is `same` or `conflict`. */
  insert(sealed: SealedReport, receivedAt: string, entry: IndexEntry): InsertResult {
    const known = this.existing(sealed);
    if (known) return known;
    const text = JSON.stringify(sealed);
    this.db.transaction(() => {
      this.db
        .prepare('INSERT INTO reports (id, sealed, received_at, seq, bytes) VALUES (?, ?, ?, ?, ?)')
        .run(sealed.id, text, receivedAt, this.nextSeq(), Buffer.byteLength(text));
      this.indexRow(sealed.id, 'new', receivedAt, entry);
    })();
    this.bytes += Buffer.byteLength(text);
    return 'stored';
  }

  /** Runs `work` as one transaction (one commit for many inserts, e.g. an import). */
  batch<T>(work: () => T): T {
    return this.db.transaction(work)();
  }

  /** Indexes a report stored before the index existed (opened once with the unit's key). */
  setIndex(id: string, status: TriageState, receivedAt: string, entry: IndexEntry): void {
    this.db.transaction(() => this.indexRow(id, status, receivedAt, entry))();
  }

  private indexRow(id: string, status: TriageState, receivedAt: string, entry: IndexEntry): void {
    this.db
      .prepare(
        'UPDATE reports SET url_tag = ?, host_tag = ?, last_seen = ?, summary = ? WHERE id = ?',
      )
      .run(entry.urlTag, entry.hostTag, entry.lastSeen, entry.summary, id);
    this.db
      .prepare(
        `INSERT INTO url_groups (url_tag, host_tag, label, first_seen, last_seen, reports, new_reports, first_received)
VALUES (?, ?, ?, ?, ?, 1, ?, ?)
ON CONFLICT (url_tag) DO UPDATE SET first_seen = min(first_seen, excluded.first_seen),
  last_seen = max(last_seen, excluded.last_seen), reports = reports + 1,
  new_reports = new_reports + excluded.new_reports,
  first_received = min(coalesce(first_received, excluded.first_received), excluded.first_received)`,
      )
      .run(
        entry.urlTag,
        entry.hostTag,
        entry.groupLabel,
        entry.lastSeen,
        entry.lastSeen,
        status === 'new' ? 1 : 0,
        receivedAt,
      );
  }

  private nextSeq(): number {
    const row = this.db
      .prepare(
        `INSERT INTO counters (name, value) VALUES ('report_seq', (SELECT coalesce(max(seq), 0) + 1 FROM reports))
ON CONFLICT (name) DO UPDATE SET value = value + 1 RETURNING value`,
      )
      .get() as { value: number };
    return row.value;
  }

  /** Whether this id is stored already, with this very body (`same`) or another (`conflict`). */
  existing(sealed: SealedReport): Exclude<InsertResult, 'stored'> | undefined {
    const row = this.db.prepare('SELECT sealed FROM reports WHERE id = ?').get(sealed.id) as
      | { sealed: string }
      | undefined;
    if (!row) return undefined;
    return row.sealed === JSON.stringify(sealed) ? 'same' : 'conflict';
  }

  reports(): StoredReport[] {
    return this.reportRows(
      'SELECT r.*, g.case_state FROM reports r LEFT JOIN url_groups g ON g.url_tag = r.url_tag ORDER BY r.seq',
    );
  }

  /** Rows stored before the index: they are opened once with the unit's key and indexed. */
  unindexed(): StoredReport[] {
    return this.reportRows('SELECT * FROM reports WHERE summary IS NULL ORDER BY seq');
  }

  private reportRows(sql: string): StoredReport[] {
    const rows = this.db.prepare(sql).all() as {
      sealed: string;
      received_at: string;
      status: TriageState;
      classification: string | null;
      summary: string | null;
      case_state?: CaseState | null;
    }[];
    return rows.map((row) => ({
      sealed: JSON.parse(row.sealed) as SealedReport,
      receivedAt: row.received_at,
      status: row.status,
      ...(row.classification ? { classification: row.classification as CsamClassification } : {}),
      ...(row.summary ? { summary: row.summary } : {}),
      ...(row.case_state ? { caseState: row.case_state } : {}),
    }));
  }

  count(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM reports').get() as { n: number }).n;
  }

  /** Bytes of sealed reports stored (what the total cap counts). */
  storedBytes(): number {
    return this.bytes;
  }

  /** One page of URL groups, most recently seen first, and how many groups match in all. */
  groups(query: GroupQuery): { rows: GroupRow[]; total: number } {
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (query.urlTag !== undefined) {
      where.push('url_tag = ?');
      params.push(query.urlTag);
    }
    if (query.hostTag !== undefined) {
      where.push('host_tag = ?');
      params.push(query.hostTag);
    }
    if (query.onlyNew) where.push('new_reports > 0');
    const filter = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
    const rows = this.db
      .prepare(
        `SELECT url_tag AS urlTag, host_tag AS hostTag, label, first_seen AS firstSeen, last_seen AS lastSeen,
  reports, new_reports AS newReports FROM url_groups ${filter} ORDER BY last_seen DESC, url_tag LIMIT ? OFFSET ?`,
      )
      .all(...params, query.limit, query.offset) as GroupRow[];
    const total = (
      this.db.prepare(`SELECT count(*) AS n FROM url_groups ${filter}`).get(...params) as {
        n: number;
      }
    ).n;
    return { rows, total };
  }

  /** Reports of these hosts in all (for the host headings of a page). */
  hostCounts(hostTags: readonly string[]): Map<string, number> {
    const counts = new Map<string, number>();
    const statement = this.db.prepare(
      'SELECT total(reports) AS n FROM url_groups WHERE host_tag = ?',
    );
    for (const tag of new Set(hostTags)) {
      counts.set(tag, (statement.get(tag) as { n: number }).n);
    }
    return counts;
  }

  groupReports(urlTag: string, recent: number): GroupReports {
    const states = this.db
      .prepare(
        'SELECT status, classification, count(*) AS count FROM reports WHERE url_tag = ? GROUP BY status, classification',
      )
      .all(urlTag) as { status: TriageState; classification: string | null; count: number }[];
    const through = this.db
      .prepare('SELECT max(seq) AS seq FROM reports WHERE url_tag = ?')
      .get(urlTag) as { seq: number | null };
    return {
      throughSeq: through.seq ?? 0,
      states: states.map((s) => ({
        status: s.status,
        count: s.count,
        ...(s.classification ? { classification: s.classification as CsamClassification } : {}),
      })),
      recent: this.db
        .prepare(
          'SELECT id, summary FROM reports WHERE url_tag = ? AND summary IS NOT NULL ORDER BY seq DESC LIMIT ?',
        )
        .all(urlTag, recent) as { id: string; summary: string }[],
    };
  }

  /** The group's reports up to `throughSeq` (those the analyst saw). */
  groupIds(urlTag: string, throughSeq: number): string[] {
    return (
      this.db
        .prepare('SELECT id FROM reports WHERE url_tag = ? AND seq <= ? ORDER BY seq')
        .all(urlTag, throughSeq) as { id: string }[]
    ).map((r) => r.id);
  }

  /**
   * Sets the triage state of a URL group's reports up to `throughSeq` (those the analyst saw;
   * later ones stay as they are) and logs who did it, in one transaction. Returns the ids.
   */
  decide(
    urlTag: string,
    throughSeq: number,
    status: TriageState,
    classification: CsamClassification | undefined,
    user: string,
    now: string,
    action = `mark ${status}`,
  ): string[] {
    return this.db.transaction(() => {
      const ids = this.groupIds(urlTag, throughSeq);
      if (ids.length === 0) return ids;
      this.db
        .prepare('UPDATE reports SET status = ?, classification = ? WHERE url_tag = ? AND seq <= ?')
        .run(status, classification ?? null, urlTag, throughSeq);
      this.db
        .prepare(
          `UPDATE url_groups SET new_reports = (SELECT count(*) FROM reports WHERE url_tag = ? AND status = 'new')
WHERE url_tag = ?`,
        )
        .run(urlTag, urlTag);
      // A confirmed URL starts its way to removal; an undo before any notice takes it back.
      if (status === 'confirmed') {
        this.db
          .prepare(
            "UPDATE url_groups SET case_state = 'assessed', assessed_at = ? WHERE url_tag = ? AND case_state = 'new'",
          )
          .run(now, urlTag);
      } else {
        this.db
          .prepare(
            "UPDATE url_groups SET case_state = 'new', assessed_at = NULL WHERE url_tag = ? AND case_state = 'assessed'",
          )
          .run(urlTag);
      }
      this.logNow(
        now,
        user,
        action,
        `${classification ? `classification ${classification}; ` : ''}${idList(ids)}`,
      );
      return ids;
    })();
  }

  log(user: string, action: string, detail: string, now = new Date().toISOString()): void {
    this.logNow(now, user, action, detail);
  }

  private logNow(at: string, user: string, action: string, detail: string): void {
    this.db
      .prepare('INSERT INTO audit (at, user, action, detail) VALUES (?, ?, ?, ?)')
      .run(at, user, action, detail);
  }

  auditLog(limit = 100): AuditEntry[] {
    return this.db
      .prepare('SELECT at, user, action, detail FROM audit ORDER BY seq DESC LIMIT ?')
      .all(limit) as AuditEntry[];
  }

  /**
   * A failed sign-in: one row per account and day with a count, so a flood of them neither grows
   * the audit log nor pushes decisions off it. `account` is an existing account or UNKNOWN_ACCOUNT.
   */
  failedSignIn(account: string, now: string): void {
    this.db
      .prepare(
        `INSERT INTO failed_signins (day, account, count, first_at, last_at) VALUES (?, ?, 1, ?, ?)
ON CONFLICT (day, account) DO UPDATE SET count = count + 1, last_at = excluded.last_at`,
      )
      .run(now.slice(0, 10), account, now, now);
  }

  failedSignIns(
    limit = 30,
  ): { day: string; account: string; count: number; firstAt: string; lastAt: string }[] {
    return this.db
      .prepare(
        'SELECT day, account, count, first_at AS firstAt, last_at AS lastAt FROM failed_signins ORDER BY last_at DESC LIMIT ?',
      )
      .all(limit) as {
      day: string;
      account: string;
      count: number;
      firstAt: string;
      lastAt: string;
    }[];
  }

  /** Adds or replaces an account (a new password, role and second factor). */
  putUser(name: string, passwordHash: string, role: Role, totpSecret: string, now: string): void {
    this.db
      .prepare(
        `INSERT INTO users (name, password_hash, created_at, role, totp_secret, totp_last_step) VALUES (?, ?, ?, ?, ?, 0)
ON CONFLICT(name) DO UPDATE SET password_hash = excluded.password_hash, role = excluded.role,
  totp_secret = excluded.totp_secret, totp_last_step = 0`,
      )
      .run(name, passwordHash, now, role, totpSecret);
  }

  user(name: string): UserRecord | undefined {
    const row = this.db
      .prepare(
        'SELECT name, password_hash, role, totp_secret, totp_last_step FROM users WHERE name = ?',
      )
      .get(name) as
      | {
          name: string;
          password_hash: string;
          role: Role;
          totp_secret: string;
          totp_last_step: number;
        }
      | undefined;
    return (
      row && {
        name: row.name,
        passwordHash: row.password_hash,
        role: row.role,
        totpSecret: row.totp_secret,
        totpLastStep: row.totp_last_step,
      }
    );
  }

  users(): { name: string; role: Role; createdAt: string }[] {
    return this.db
      .prepare('SELECT name, role, created_at AS createdAt FROM users ORDER BY name')
      .all() as { name: string; role: Role; createdAt: string }[];
  }

  removeUser(name: string): boolean {
    return this.db.prepare('DELETE FROM users WHERE name = ?').run(name).changes > 0;
  }

  /** Records an accepted TOTP step; false when it (or a later one) was used already. */
  useTotpStep(name: string, step: number): boolean {
    return (
      this.db
        .prepare('UPDATE users SET totp_last_step = ? WHERE name = ? AND totp_last_step < ?')
        .run(step, name, step).changes > 0
    );
  }

  close(): void {
    this.db.close();
  }
}

/** Report ids for the audit log: all of them up to 20, then how many more. */
function idList(ids: readonly string[]): string {
  const shown = ids.slice(0, 20).join(' ');
  return `reports ${shown}${ids.length > 20 ? ` and ${ids.length - 20} more` : ''}`;
}
