/**
 * The last good copy of each list source in the data dir, so a restart without network (or
 * after a bad file replaced a good one) still filters. Writes are atomic (temp file + rename).
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface StoredMeta {
  etag?: string;
  lastModified?: string;
  /** The list the copy holds, so an operator can find and reset it by id. */
  id?: string;
  category?: string;
  sequence?: number;
}

export class LastGoodStore {
  /** Writes run one after another, off the path to the first answer. */
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly dir: string) {}

  async read(source: string): Promise<Uint8Array | undefined> {
    try {
      return new Uint8Array(await readFile(this.path(source, 'klb')));
    } catch {
      return undefined;
    }
  }

  async readMeta(source: string): Promise<StoredMeta & { sha256?: string }> {
    try {
      return JSON.parse(await readFile(this.path(source, 'json'), 'utf8')) as StoredMeta;
    } catch {
      return {};
    }
  }

  /**
   * Queues a copy of a good bundle, skipped when the copy on disk is the same: compared by the
   * SHA-256 kept beside it, so a start with a big list does not read a second copy into memory.
   */
  write(source: string, bytes: Uint8Array, meta: StoredMeta = {}): Promise<void> {
    const job = this.queue.then(async () => {
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      const stored = await this.readMeta(source);
      if (stored.sha256 === sha256) return;
      await mkdir(this.dir, { recursive: true });
      await atomicWrite(this.path(source, 'klb'), bytes);
      await atomicWrite(this.path(source, 'json'), JSON.stringify({ source, sha256, ...meta }));
    });
    this.queue = job.catch(() => {});
    return job;
  }

  /**
   * Deletes the copies whose list id or source (path or URL) is `which`; returns the sources
   * removed. The next start fetches or reads those lists afresh.
   */
  async reset(which: string): Promise<string[]> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    const removed: string[] = [];
    for (const name of names.filter((n) => n.endsWith('.json'))) {
      const path = join(this.dir, name);
      let meta: StoredMeta & { source?: string };
      try {
        meta = JSON.parse(await readFile(path, 'utf8')) as StoredMeta & { source?: string };
      } catch {
        continue;
      }
      if (meta.id !== which && meta.source !== which) continue;
      await rm(path.replace(/\.json$/, '.klb'), { force: true });
      await rm(path, { force: true });
      removed.push(meta.source ?? name);
    }
    return removed;
  }

  private path(source: string, ext: string): string {
    // One file per source, named by a hash of its path or URL (safe in any file system).
    const id = createHash('sha256').update(source).digest('hex').slice(0, 16);
    return join(this.dir, `${id}.${ext}`);
  }
}

async function atomicWrite(path: string, data: Uint8Array | string): Promise<void> {
  await writeFile(`${path}.tmp`, data);
  await rename(`${path}.tmp`, path);
}
