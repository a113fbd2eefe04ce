/**
 * A browser that has signed in to an account carries a token for it (OWASP's "device cookie"):
 * its sign-ins to that account skip the per-account limit, so someone on the LAN guessing the
 * account's password cannot lock its staff out (the per-address limit still applies). The token
 * is the account name and an HMAC of it under a key made at start: a restart voids every token,
 * as it signs everyone out and empties the limits' counters.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const KNOWN_DEVICE_COOKIE = 'kalkan_console_device';
export const KNOWN_DEVICE_MAX_AGE_S = 90 * 24 * 60 * 60;

export class KnownDevices {
  private readonly key = randomBytes(32);

  token(user: string): string {
    return `${Buffer.from(user).toString('base64url')}.${this.mac(user).toString('base64url')}`;
  }

  /** The account a token was given for; undefined for none, a malformed or a forged one. */
  userOf(token: string | undefined): string | undefined {
    const [encodedUser, encodedMac] = token?.split('.') ?? [];
    if (encodedUser === undefined || encodedMac === undefined) return undefined;
    const user = Buffer.from(encodedUser, 'base64url').toString();
    const given = Buffer.from(encodedMac, 'base64url');
    const expected = this.mac(user);
    return given.length === expected.length && timingSafeEqual(given, expected) ? user : undefined;
  }

  private mac(user: string): Buffer {
    return createHmac('sha256', this.key).update(user).digest();
  }
}
