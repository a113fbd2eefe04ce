/**
 * What one device is told to use: the DoH URL with its id as the last path segment
 * (`/dns-query/<id>`), the DoT host with its id as the first label (`<id>.<host>`), so the
 * resolver can tell devices apart (issue 14, item 3). Without an id: the plain endpoints.
 */
import { DEVICE_ID, type SetupConfig } from './settings.js';

export interface DeviceSetup {
  /** The service's name, shown in profiles and on the page. */
  name: string;
  dohUrl?: string;
  dotHost?: string;
  deviceId?: string;
  serverAddresses?: readonly string[];
}

export class DeviceIdError extends Error {
  override name = 'DeviceIdError';
}

/** The endpoints for `deviceId` (validated: one lower-case DNS label), or for no device. */
export function deviceSetup(config: SetupConfig, deviceId?: string): DeviceSetup {
  if (deviceId !== undefined && !DEVICE_ID.test(deviceId))
    throw new DeviceIdError(
      `device id "${deviceId}": expected lower-case letters, digits and "-" (at most 63, not starting or ending with "-")`,
    );
  return {
    name: config.name,
    ...(config.doh && {
      dohUrl: deviceId ? `${config.doh.replace(/\/+$/, '')}/${deviceId}` : config.doh,
    }),
    ...(config.dot && { dotHost: deviceId ? `${deviceId}.${config.dot}` : config.dot }),
    ...(deviceId && { deviceId }),
    ...(config.serverAddresses.length > 0 && { serverAddresses: config.serverAddresses }),
  };
}
