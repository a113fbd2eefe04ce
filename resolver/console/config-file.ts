/**
 * The config file as the console and SIGHUP see it: read and checked exactly as
 * `kalkan serve --check` checks it (the schema with file:line: key, then preflight without the
 * trial bind), and edited through the `yaml` Document API so the operator's comments and
 * layout stay. An edit that fails the check is not written; the caller gets the lines.
 */
import { readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { type Document, parseDocument } from 'yaml';
import { type Config, ConfigError, parseConfig, resolvePaths } from '../serve/config.js';
import { text as catalogue } from '../serve/language.js';
import { preflight } from '../serve/preflight.js';

export type Checked =
  | { ok: true; config: Config; text: string }
  | { ok: false; problems: string[] };

/** Parses and checks `text` as the config at `path`. */
export async function checkConfigText(text: string, path: string): Promise<Checked> {
  let config: Config;
  try {
    config = resolvePaths(parseConfig(text, path), dirname(resolve(path)));
  } catch (error) {
    if (error instanceof ConfigError) return { ok: false, problems: error.message.split('\n') };
    throw error;
  }
  const problems = await preflight(config, { trialBind: false });
  return problems.length ? { ok: false, problems } : { ok: true, config, text };
}

export async function readCheckedConfig(path: string): Promise<Checked> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    return {
      ok: false,
      problems: [`${path}: cannot read: ${(error as NodeJS.ErrnoException).code}`],
    };
  }
  return checkConfigText(text, path);
}

/** Serialised edits of one config file. */
export class ConfigEditor {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(readonly path: string) {}

  /**
   * Applies `change` to the file's YAML document; writes it (atomically, same mode) only when
   * the result passes the check. Resolves with the check's outcome.
   */
  edit(change: (doc: Document) => void): Promise<Checked> {
    const run = async (): Promise<Checked> => {
      const before = await readFile(this.path, 'utf8');
      const doc = parseDocument(before);
      change(doc);
      const text = doc.toString({ flowCollectionPadding: false });
      const checked = await checkConfigText(text, this.path);
      if (!checked.ok) return checked;
      const { mode } = await stat(this.path);
      const temp = `${this.path}.console-${process.pid}`;
      try {
        await writeFile(temp, text, { mode });
        await rename(temp, this.path);
      } catch (error) {
        await rm(temp, { force: true }).catch(() => undefined);
        const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
        return {
          ok: false,
          problems: [catalogue('en')('reason.cannotWrite', { path: this.path, code })],
        };
      }
      return checked;
    };
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }
}
