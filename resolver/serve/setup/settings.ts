/**
 * The `setup:` section of the config: what the status page's /setup hands to devices, and the
 * "am I protected?" check name. Every key is optional: without `doh`/`dot` the page offers only
 * the check; the encrypted listeners themselves are configured elsewhere.
 */
import { isIP } from 'node:net';
import { z } from 'zod';

/** A device id as it appears in a DoH path and a DoT SNI label: one DNS label. */
export const DEVICE_ID = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

const hostname = z
  .string()
  .regex(/^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9-]{1,63}$/i, {
    message: 'expected a host name',
  })
  .transform((h) => h.toLowerCase());

export const setupConfigSchema = z.strictObject({
  /** The profile's and the page's name for this service. */
  name: z.string().min(1).max(100).default('Kalkan'),
  /** DoH URL devices use, e.g. https://dns.example.org/dns-query; a device id is appended as a path segment. */
  doh: z.url({ protocol: /^https$/, message: 'expected an https:// URL' }).optional(),
  /** DoT host name devices use, e.g. dns.example.org; a device id is prepended as a label. */
  dot: hostname.optional(),
  /** Addresses of the DoH/DoT server, for the Apple profile's ServerAddresses (optional). */
  serverAddresses: z
    .array(z.string().refine((a) => isIP(a) !== 0, 'expected an IP address'))
    .default([]),
  /** Device ids the page offers (any other id can be typed in; unknown ids get the default policy). */
  devices: z.array(z.string().regex(DEVICE_ID, 'expected one lower-case DNS label')).default([]),
  /**
   * A name only this resolver answers (TXT, and A/AAAA with `checkAddresses`): every other
   * resolver says NXDOMAIN, so resolving it proves the device asks Kalkan. Keep it a name no
   * public DNS answers (`.invalid` is never delegated).
   */
  checkName: hostname.default('check.kalkan.invalid'),
  /**
   * Where the check name points: the status page's address as devices reach it. Omitted: the
   * status page's own address when it listens on one address (not 0.0.0.0 or ::).
   */
  checkAddresses: z
    .array(z.string().refine((a) => isIP(a) !== 0, 'expected an IP address'))
    .optional(),
});

export type SetupConfig = z.infer<typeof setupConfigSchema>;
