/**
 * The second factor: TOTP (RFC 6238; SHA-1, 6 digits, 30 s, as every authenticator app takes)
 * through otpauth. A code is accepted one step either side of now, and only once.
 */
import { Secret, TOTP } from 'otpauth';

const PERIOD_SECONDS = 30;

function totp(secret: string, account = 'analyst'): TOTP {
  return new TOTP({
    issuer: 'Kalkan intake',
    label: account,
    algorithm: 'SHA1',
    digits: 6,
    period: PERIOD_SECONDS,
    secret: Secret.fromBase32(secret),
  });
}

/** A new random secret (160 bits, base32) for an account. */
export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

/** The `otpauth://` URI an authenticator app enrolls from (shown once, when the account is made). */
export function totpUri(secret: string, account: string): string {
  return totp(secret, account).toString();
}

/** The time step a code belongs to (within one step of now), or undefined when it is wrong. */
export function totpStep(secret: string, code: string, now = Date.now()): number | undefined {
  if (!/^\d{6}$/.test(code)) return undefined;
  const delta = totp(secret).validate({ token: code, timestamp: now, window: 1 });
  return delta === null ? undefined : Math.floor(now / 1000 / PERIOD_SECONDS) + delta;
}

/** The current code (for tests and for the CLI's check of a fresh enrolment). */
export function totpCode(secret: string, now = Date.now()): string {
  return totp(secret).generate({ timestamp: now });
}
