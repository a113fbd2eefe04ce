/**
 * `kalkan serve user add NAME [--config FILE] [--password-file FILE]`: a staff account for the
 * console on the status page. The password comes from the file's first line or stdin's; the
 * account is kept in the data directory of that config (DATA/console/staff.json).
 */
import { readFile } from 'node:fs/promises';
import { STAFF_NAME, StaffAccounts, staffFile } from '../console/accounts.js';
import { readConfigFile } from '../serve/config.js';
import { defaultConfig } from '../serve/default-config.js';
import { passwordFromStdin } from './password-input.js';
import { parse, UsageError } from './usage.js';

const USAGE = `Usage: kalkan serve user add NAME [--config FILE] [--password-file FILE]
  Adds (or replaces) a console account; the password (at least 12 characters) is read from
  --password-file's first line, else from stdin.`;

export async function serveUserCommand(args: string[]): Promise<number> {
  const [action, ...rest] = args;
  if (action !== 'add') throw new UsageError(`unknown "serve user ${action ?? ''}"\n${USAGE}`);
  const { values, positionals } = parse(
    rest,
    { config: { type: 'string' }, 'password-file': { type: 'string' } },
    USAGE,
  );
  const [name, ...extra] = positionals;
  if (name === undefined || extra.length > 0 || !STAFF_NAME.test(name))
    throw new UsageError(`give one NAME (letters, digits, . _ -)\n${USAGE}`);
  const config = values.config ? await readConfigFile(values.config) : defaultConfig();
  const file = values['password-file'];
  const password = file ? firstLine(await readFile(file, 'utf8')) : await passwordFromStdin();
  const path = staffFile(config.dataDir as string);
  try {
    await new StaffAccounts(path).add(name, password);
  } catch (error) {
    console.error(`kalkan serve user add: ${(error as Error).message}`);
    return 1;
  }
  console.log(`"${name}" can now sign in to the console at /console (accounts in ${path})`);
  return 0;
}

const firstLine = (text: string) => text.split(/\r?\n/)[0] ?? '';
