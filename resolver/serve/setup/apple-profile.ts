/**
 * An Apple configuration profile (.mobileconfig) that points a device's DNS at Kalkan over DoH
 * or DoT: one `com.apple.dnsSettings.managed` payload (Apple, Device Management, "DNSSettings").
 * Installed by hand it applies on Wi-Fi and cellular. The profile is unsigned: iOS and macOS
 * show it as "Not Verified" and install it all the same after the user confirms. UUIDs are
 * derived from the endpoint and the device id, so downloading it again gives the same bytes and
 * installing it again replaces the old one instead of adding a second.
 */
import { createHash } from 'node:crypto';
import { build } from 'plist';
import type { DeviceSetup } from './endpoints.js';

export type AppleDnsProtocol = 'HTTPS' | 'TLS';

export const DNS_SETTINGS_PAYLOAD = 'com.apple.dnsSettings.managed';

/** A fixed namespace for Kalkan's name-based (version 5) UUIDs. */
const UUID_NAMESPACE = Buffer.from(
  '6f6b6c6b-616e-4b61-8c6b-616e2d646e73'.replaceAll('-', ''),
  'hex',
);

/** RFC 9562 §5.5: SHA-1 of namespace and name, version 5, variant 10. */
export function nameUuid(name: string): string {
  const hash = createHash('sha1').update(UUID_NAMESPACE).update(name).digest();
  hash[6] = ((hash[6] as number) & 0x0f) | 0x50;
  hash[8] = ((hash[8] as number) & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex').toUpperCase();
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The profile as plist XML, or undefined when the endpoint for `protocol` is not configured. */
export function appleProfile(setup: DeviceSetup, protocol: AppleDnsProtocol): string | undefined {
  const server = protocol === 'HTTPS' ? setup.dohUrl : setup.dotHost;
  if (!server) return undefined;
  const host = protocol === 'HTTPS' ? new URL(server).hostname : server;
  const device = setup.deviceId ?? 'default';
  // Reverse-DNS identifiers: the same device and protocol always replace the same profile.
  const identifier = `${host.split('.').reverse().join('.')}.kalkan.${device}.${protocol.toLowerCase()}`;
  const label = `${setup.name} (${protocol === 'HTTPS' ? 'DNS over HTTPS' : 'DNS over TLS'}${setup.deviceId ? `, ${setup.deviceId}` : ''})`;
  const dnsSettings = {
    DNSProtocol: protocol,
    ...(protocol === 'HTTPS' ? { ServerURL: server } : { ServerName: server }),
    ...(setup.serverAddresses?.length && { ServerAddresses: [...setup.serverAddresses] }),
  };
  return build({
    PayloadContent: [
      {
        PayloadType: DNS_SETTINGS_PAYLOAD,
        PayloadVersion: 1,
        PayloadIdentifier: `${identifier}.dns`,
        PayloadUUID: nameUuid(`payload|${protocol}|${server}|${device}`),
        PayloadDisplayName: label,
        DNSSettings: dnsSettings,
      },
    ],
    PayloadType: 'Configuration',
    PayloadVersion: 1,
    PayloadIdentifier: identifier,
    PayloadUUID: nameUuid(`profile|${protocol}|${server}|${device}`),
    PayloadDisplayName: label,
    PayloadDescription: `Sends this device's DNS to ${setup.name}, which blocks child-abuse and adult sites.`,
    PayloadScope: 'System',
  });
}
