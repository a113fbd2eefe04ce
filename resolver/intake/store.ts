/**
 * The intake's database (SQLite, better-sqlite3). Reports are stored as received: sealed, with
 * only their id, arrival time and triage state in the clear, so the file and its backups hold
 * no URL. Every write is committed with `synchronous = FULL` before the caller answers.
 */
import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { SealedReport } from '../../reporting/seal.js';
import type { CsamClassification } from '../../reporting/xarf.js';

export const TRIAGE_STATES = ['new', 'confirmed', 'rejected', 'duplicate'] as const;
export type TriageState = (typeof TRIAGE_STATES)[number];

export interface StoredReport {
  sealed: SealedReport;
  receivedAt: string;
  status: TriageState;
  classification?: CsamClassification;
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
);`;

export const DATABASE_FILE = 'intake.sqlite';

export class IntakeStore {
  private readonly db: Database.Database;

  constructor(dataDir: string) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const path = join(dataDir, DATABASE_FILE);
    this.db = new Database(path);
    chmodSync(path, 0o600);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
  }

  /** Stores a new sealed report; the same id again is `same` (identical body) or `conflict`. */
  insert(sealed: SealedReport, receivedAt: string): InsertResult {
    const known = this.existing(sealed);
    if (known) return known;
    this.db
      .prepare('INSERT INTO reports (id, sealed, received_at) VALUES (?, ?, ?)')
      .run(sealed.id, JSON.stringify(sealed), receivedAt);
    return 'stored';
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
    const rows = this.db
      .prepare(
        'SELECT sealed, received_at, status, classification FROM reports ORDER BY received_at, id',
      )
      .all() as {
      sealed: string;
      received_at: string;
      status: TriageState;
      classification: string | null;
    }[];
    return rows.map((row) => ({
      sealed: JSON.parse(row.sealed) as SealedReport,
      receivedAt: row.received_at,
      status: row.status,
      ...(row.classification ? { classification: row.classification as CsamClassification } : {}),
    }));
  }

  count(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM reports').get() as { n: number }).n;
  }

  /** Sets the triage state of reports and logs who did it, in one transaction. */
  setStatus(
    ids: readonly string[],
    status: TriageState,
    classification: CsamClassification | undefined,
    user: string,
    now: string,
  ): void {
    const update = this.db.prepare(
      'UPDATE reports SET status = ?, classification = ? WHERE id = ?',
    );
    this.db.transaction(() => {
      for (const id of ids) update.run(status, classification ?? null, id);
      this.logNow(
        now,
        user,
        `mark ${status}`,
        `${classification ? `classification ${classification}; ` : ''}reports ${ids.join(' ')}`,
      );
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

  /** Adds or replaces an analyst account. */
  putUser(name: string, passwordHash: string, now: string): void {
    this.db
      .prepare(
        'INSERT INTO users (name, password_hash, created_at) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET password_hash = excluded.password_hash',
      )
      .run(name, passwordHash, now);
  }

  user(name: string): UserRecord | undefined {
    const row = this.db.prepare('SELECT name, password_hash FROM users WHERE name = ?').get(name) as
      | { name: string; password_hash: string }
      | undefined;
    return row && { name: row.name, passwordHash: row.password_hash };
  }

  close(): void {
    this.db.close();
  }
}
