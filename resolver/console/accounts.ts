/**
 * The café staff who may use the console: names and password hashes (scrypt, as the intake's
 * analysts) in DATA/console/staff.json, written by `kalkan serve user add` and read at each
 * sign-in, so an account added while the resolver runs can sign in at once.
 */
import { chown, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { DUMMY_HASH, hashPassword, verifyPassword } from '../intake/passwords.js';

export const STAFF_NAME = /^[a-z0-9._-]{1,64}$/i;

interface StaffFile {
  staff: Record<string, { hash: string; addedAt: string }>;
}

export function staffFile(dataDir: string): string {
  return join(dataDir, 'console', 'staff.json');
}

/** At start: the one line that tells an operator how to create the first account. */
export async function warnIfNoStaff(
  dataDir: string,
  log: { warn(msg: string): void },
): Promise<void> {
  if ((await new StaffAccounts(staffFile(dataDir)).names().catch(() => [])).length === 0)
    log.warn(
      'console: no staff account yet; add one with "kalkan serve user add NAME --config FILE"',
    );
}

export class StaffAccounts {
  constructor(private readonly path: string) {}

  private async read(): Promise<StaffFile> {
    try {
      return JSON.parse(await readFile(this.path, 'utf8')) as StaffFile;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { staff: {} };
      throw new Error(`${this.path}: ${(error as Error).message}`);
    }
  }

  async names(): Promise<string[]> {
    return Object.keys((await this.read()).staff);
  }

  /** Adds or replaces an account (the password rules are the intake's). */
  async add(name: string, password: string, now = new Date()): Promise<void> {
    if (!STAFF_NAME.test(name)) throw new Error('a staff name is 1-64 letters, digits, . _ -');
    const file = await this.read();
    file.staff[name] = { hash: await hashPassword(password), addedAt: now.toISOString() };
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    await writeFile(`${this.path}.new`, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
    await rename(`${this.path}.new`, this.path);
    await this.giveToDataDirOwner();
  }

  /**
   * Run as root (sudo kalkan serve user add), the file would be root's and mode 0600: the
   * service's own user (systemd's DynamicUser owns the data directory) could not read it.
   */
  private async giveToDataDirOwner(): Promise<void> {
    if (process.getuid?.() !== 0) return;
    const folder = dirname(this.path);
    const { uid, gid } = await stat(dirname(folder));
    await chown(folder, uid, gid);
    await chown(this.path, uid, gid);
  }

  /** True for a right name and password; an unknown name takes as long as a wrong password. */
  async verify(name: string, password: string): Promise<boolean> {
    const account = (await this.read()).staff[name];
    const ok = await verifyPassword(password, account?.hash ?? DUMMY_HASH);
    return ok && account !== undefined;
  }
}
