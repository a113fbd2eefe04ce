/**
 * The IXFR history on disk (`--data-dir`), so a restarted primary still answers IXFR for the
 * serials its secondaries hold instead of sending each of them the whole zone again. One JSON
 * file per zone, replaced atomically after every new serial; it is used only if it leads to
 * the serial the primary starts with.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ZoneDiff, ZoneHistory } from './history.js';

interface Stored {
  zone: string;
  serial: number;
  diffs: ZoneDiff[];
}

export class HistoryStore {
  private readonly file: string;

  constructor(
    private readonly dir: string,
    private readonly zone: string,
  ) {
    this.file = join(dir, `${zone}.ixfr.json`);
  }

  /** Pushes the stored diffs into `history` if they end at `serial`; says what it did. */
  async restore(history: ZoneHistory, serial: number): Promise<string> {
    let stored: Stored;
    try {
      stored = JSON.parse(await readFile(this.file, 'utf8')) as Stored;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      return code === 'ENOENT'
        ? 'no IXFR history yet'
        : `IXFR history unreadable (${code ?? 'bad JSON'}), starting afresh`;
    }
    if (stored.zone !== this.zone || stored.serial !== serial || !Array.isArray(stored.diffs))
      return `IXFR history leads to serial ${stored.serial}, not ${serial}: older secondaries get one AXFR`;
    for (const diff of stored.diffs) history.push(diff);
    return `IXFR history restored: ${history.length} versions back from serial ${serial}`;
  }

  async save(history: ZoneHistory, serial: number): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const stored: Stored = { zone: this.zone, serial, diffs: [...history.all] };
    const temp = `${this.file}.${process.pid}.tmp`;
    await writeFile(temp, JSON.stringify(stored));
    await rename(temp, this.file);
  }
}
