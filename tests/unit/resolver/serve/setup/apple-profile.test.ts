/**
 * The Apple profile against Apple's documented payload keys (apple/device-management:
 * mdm/profiles/TopLevel.yaml, CommonPayloadKeys.yaml, com.apple.dnsSettings.managed.yaml), and
 * read back with the plist library's parser as plutil would.
 */
import { type PlistValue, parse } from 'plist';
import { describe, expect, it } from 'vitest';
import {
  appleProfile,
  DNS_SETTINGS_PAYLOAD,
  nameUuid,
} from '../../../../../resolver/serve/setup/apple-profile.js';
import { deviceSetup } from '../../../../../resolver/serve/setup/endpoints.js';
import { setupConfigSchema } from '../../../../../resolver/serve/setup/settings.js';

type Kind = 'string' | 'integer' | 'boolean' | 'array' | 'dictionary';
type Keys = Record<string, { type: Kind; required?: boolean; oneOf?: readonly unknown[] }>;

/** TopLevel.yaml: the profile itself. */
const TOP_LEVEL: Keys = {
  PayloadIdentifier: { type: 'string', required: true },
  PayloadUUID: { type: 'string', required: true },
  PayloadType: { type: 'string', required: true, oneOf: ['Configuration'] },
  PayloadVersion: { type: 'integer', required: true, oneOf: [1] },
  PayloadContent: { type: 'array', required: true },
  PayloadDescription: { type: 'string' },
  PayloadDisplayName: { type: 'string' },
  PayloadOrganization: { type: 'string' },
  PayloadRemovalDisallowed: { type: 'boolean' },
  PayloadScope: { type: 'string', oneOf: ['System', 'User'] },
};
/** CommonPayloadKeys.yaml plus com.apple.dnsSettings.managed.yaml's own keys. */
const DNS_PAYLOAD: Keys = {
  PayloadType: { type: 'string', required: true, oneOf: [DNS_SETTINGS_PAYLOAD] },
  PayloadVersion: { type: 'integer', required: true, oneOf: [1] },
  PayloadIdentifier: { type: 'string', required: true },
  PayloadUUID: { type: 'string', required: true },
  PayloadDisplayName: { type: 'string' },
  PayloadDescription: { type: 'string' },
  PayloadOrganization: { type: 'string' },
  DNSSettings: { type: 'dictionary', required: true },
  OnDemandRules: { type: 'array' },
  ProhibitDisablement: { type: 'boolean' },
  PayloadCertificateUUID: { type: 'string' },
};
const DNS_SETTINGS: Keys = {
  DNSProtocol: { type: 'string', required: true, oneOf: ['HTTPS', 'TLS'] },
  ServerURL: { type: 'string' },
  ServerName: { type: 'string' },
  ServerAddresses: { type: 'array' },
  AllowFailover: { type: 'boolean' },
  SupplementalMatchDomains: { type: 'array' },
};
const UUID = /^[0-9A-Za-z]{8}-[0-9A-Za-z]{4}-[0-9A-Za-z]{4}-[0-9A-Za-z]{4}-[0-9A-Za-z]{12}$/;

function kindOf(value: unknown): Kind | 'other' {
  if (typeof value === 'string') return 'string';
  if (typeof value === 'number' && Number.isInteger(value)) return 'integer';
  if (typeof value === 'boolean') return 'boolean';
  if (Array.isArray(value)) return 'array';
  if (value && typeof value === 'object' && !(value instanceof Date)) return 'dictionary';
  return 'other';
}

/** Every problem of `dict` against `keys`: unknown keys, missing required ones, wrong types or values. */
function problems(dict: Record<string, unknown>, keys: Keys, where: string): string[] {
  const out: string[] = [];
  for (const [key, value] of Object.entries(dict)) {
    const spec = keys[key];
    if (!spec) out.push(`${where}.${key}: not a documented key`);
    else if (kindOf(value) !== spec.type) out.push(`${where}.${key}: expected ${spec.type}`);
    else if (spec.oneOf && !spec.oneOf.includes(value))
      out.push(`${where}.${key}: ${String(value)}`);
  }
  for (const [key, spec] of Object.entries(keys))
    if (spec.required && !(key in dict)) out.push(`${where}.${key}: missing`);
  return out;
}

/** The profile validated as Apple documents it; returns the parsed profile. */
function validate(xml: string): Record<string, PlistValue> {
  const profile = parse(xml) as Record<string, PlistValue>;
  const payloads = profile.PayloadContent as Record<string, PlistValue>[];
  const errors = [
    ...problems(profile, TOP_LEVEL, 'profile'),
    ...payloads.flatMap((p, i) => [
      ...problems(p, DNS_PAYLOAD, `PayloadContent[${i}]`),
      ...problems(
        p.DNSSettings as Record<string, unknown>,
        DNS_SETTINGS,
        `PayloadContent[${i}].DNSSettings`,
      ),
    ]),
  ];
  expect(errors).toEqual([]);
  expect(payloads).toHaveLength(1);
  for (const uuid of [profile.PayloadUUID, payloads[0]?.PayloadUUID]) expect(uuid).toMatch(UUID);
  expect(profile.PayloadUUID).not.toBe(payloads[0]?.PayloadUUID);
  return profile;
}

const config = setupConfigSchema.parse({
  name: 'Kalkan family DNS',
  doh: 'https://dns.kalkan.example/dns-query',
  dot: 'dns.kalkan.example',
  serverAddresses: ['192.0.2.53', '2001:db8::53'],
});

describe('Apple configuration profile', () => {
  it('DoH: com.apple.dnsSettings.managed with ServerURL ending in the device id, keys as Apple documents', () => {
    const profile = validate(appleProfile(deviceSetup(config, 'amina-phone'), 'HTTPS') as string);
    const [payload] = profile.PayloadContent as Record<string, PlistValue>[];
    expect(payload?.DNSSettings).toEqual({
      DNSProtocol: 'HTTPS',
      ServerURL: 'https://dns.kalkan.example/dns-query/amina-phone',
      ServerAddresses: ['192.0.2.53', '2001:db8::53'],
    });
    expect(profile.PayloadIdentifier).toBe('example.kalkan.dns.kalkan.amina-phone.https');
  });

  it('DoT: ServerName is the device id label on the DoT host, no ServerURL', () => {
    const profile = validate(appleProfile(deviceSetup(config, 'amina-phone'), 'TLS') as string);
    const [payload] = profile.PayloadContent as Record<string, PlistValue>[];
    expect(payload?.DNSSettings).toEqual({
      DNSProtocol: 'TLS',
      ServerName: 'amina-phone.dns.kalkan.example',
      ServerAddresses: ['192.0.2.53', '2001:db8::53'],
    });
  });

  it('without a device id, or without ServerAddresses, still valid', () => {
    const bare = setupConfigSchema.parse({ dot: 'dns.kalkan.example' });
    const profile = validate(appleProfile(deviceSetup(bare), 'TLS') as string);
    const [payload] = profile.PayloadContent as Record<string, PlistValue>[];
    expect(payload?.DNSSettings).toEqual({ DNSProtocol: 'TLS', ServerName: 'dns.kalkan.example' });
    expect(appleProfile(deviceSetup(bare), 'HTTPS')).toBeUndefined();
  });

  it('round-trips: parsing and building again gives the same bytes', async () => {
    const { build } = await import('plist');
    const xml = appleProfile(deviceSetup(config, 'amina-phone'), 'HTTPS') as string;
    expect(build(parse(xml) as PlistValue)).toBe(xml);
  });

  it('is deterministic per device: same id, same bytes; another id or protocol, other UUIDs', () => {
    const a = appleProfile(deviceSetup(config, 'amina-phone'), 'HTTPS');
    expect(appleProfile(deviceSetup(config, 'amina-phone'), 'HTTPS')).toBe(a);
    const uuids = (xml: string | undefined) => {
      const p = parse(xml as string) as Record<string, PlistValue>;
      return [p.PayloadUUID, (p.PayloadContent as Record<string, PlistValue>[])[0]?.PayloadUUID];
    };
    const all = [
      ...uuids(a),
      ...uuids(appleProfile(deviceSetup(config, 'timur-tablet'), 'HTTPS')),
      ...uuids(appleProfile(deviceSetup(config, 'amina-phone'), 'TLS')),
    ];
    expect(new Set(all).size).toBe(all.length);
  });

  it('UUIDs are RFC 9562 version 5 (name-based) UUIDs', () => {
    const uuid = nameUuid('x');
    expect(uuid).toMatch(/^[0-9A-F]{8}-[0-9A-F]{4}-5[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$/);
    expect(nameUuid('x')).toBe(uuid);
  });
});

describe('device endpoints', () => {
  it('puts the device id in the DoH path and the DoT label', () => {
    expect(deviceSetup(config, 'kid-1')).toMatchObject({
      dohUrl: 'https://dns.kalkan.example/dns-query/kid-1',
      dotHost: 'kid-1.dns.kalkan.example',
      deviceId: 'kid-1',
    });
    expect(deviceSetup(config)).toMatchObject({
      dohUrl: 'https://dns.kalkan.example/dns-query',
      dotHost: 'dns.kalkan.example',
    });
  });

  it('refuses an id that is not one DNS label, saying what is allowed', () => {
    for (const bad of ['Kid', '-kid', 'kid.phone', 'a'.repeat(64), 'kid/../x'])
      expect(() => deviceSetup(config, bad), bad).toThrow(
        /device id ".*": expected lower-case letters/,
      );
  });
});
