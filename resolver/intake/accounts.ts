/** Making an account (from the CLI or a supervisor's page): password hash, role, a new TOTP secret. */
import { hashPassword } from './passwords.js';
import { type IntakeStore, ROLES, type Role } from './store.js';
import { newTotpSecret, totpUri } from './totp.js';

export const ACCOUNT_NAME = /^[a-z0-9._-]{1,64}$/i;

export interface Enrolment {
  name: string;
  role: Role;
  secret: string;
  uri: string;
}

export function parseRole(text: string): Role {
  if (!(ROLES as readonly string[]).includes(text)) {
    throw new Error(`role must be ${ROLES.join(' or ')}, got "${text}"`);
  }
  return text as Role;
}

/** Adds or replaces an account; its old second factor stops working. Logged as `by`. */
export async function createAccount(
  store: IntakeStore,
  name: string,
  password: string,
  role: Role,
  by: string,
): Promise<Enrolment> {
  if (!ACCOUNT_NAME.test(name)) throw new Error('the name must be 1-64 letters, digits, . _ -');
  const secret = newTotpSecret();
  store.putUser(name, await hashPassword(password), role, secret, new Date().toISOString());
  store.log(by, 'user add', `${name} (${role})`);
  return { name, role, secret, uri: totpUri(secret, name) };
}
