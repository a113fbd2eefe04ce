/**
 * The resolver's and CLI's outbox storage: one SQLite file in the data directory, WAL with
 * `synchronous = FULL`, so a `put` that returned has been fsync'd and survives kill -9 and power
 * loss. Entries are stored as the JSON the shared outbox defines (sealed reports only).
 */
import { chmodSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { OutboxEntry, OutboxStorage } from '../../reporting/outbox.js';

export class SqliteOutboxStorage implements OutboxStorage {
  private readonly db: Database.Database;

  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    this.db = new Database(path);
    chmodSync(path, 0o600);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(
      'CREATE TABLE IF NOT EXISTS outbox (id TEXT PRIMARY KEY, state TEXT NOT NULL, entry TEXT NOT NULL)',
    );
  }

  async get(id: string): Promise<OutboxEntry | undefined> {
    const row = this.db.prepare('SELECT entry FROM outbox WHERE id = ?').get(id) as
      | { entry: string }
      | undefined;
    return row && (JSON.parse(row.entry) as OutboxEntry);
  }

  async put(entry: OutboxEntry): Promise<void> {
    this.db
      .prepare(
        'INSERT INTO outbox (id, state, entry) VALUES (?, ?, ?) ON CONFLICT(id) DO UPDATE SET state = excluded.state, entry = excluded.entry',
      )
      .run(entry.id, entry.state, JSON.stringify(entry));
  }

  async list(): Promise<OutboxEntry[]> {
    const rows = this.db.prepare('SELECT entry FROM outbox').all() as { entry: string }[];
    return rows.map((row) => JSON.parse(row.entry) as OutboxEntry);
  }

  async remove(id: string): Promise<void> {
    this.db.prepare('DELETE FROM outbox WHERE id = ?').run(id);
  }

  close(): void {
    this.db.close();
  }
}
