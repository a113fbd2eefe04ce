/**
 * The status server's device-setup routes: GET /setup (the page), the Apple profiles, and the
 * check picture. The check picture is also served to the check name as Host: only Kalkan answers
 * that name (a name like check.kalkan.invalid cannot be rebound by anyone else), so accepting it
 * opens nothing to DNS rebinding.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HostPort } from '../../net/host-port.js';
import { checkAddresses } from './check-answer.js';
import { DeviceIdError, deviceSetup } from './endpoints.js';
import { checkBadge, renderSetupPage } from './page.js';
import { DEVICE_ID, type SetupConfig } from './settings.js';
import { setupText } from './text.js';

/** Routes a status server mounts: extra Host names it answers to, and a handler. */
export interface StatusRoutes {
  hosts: readonly string[];
  /** True when the request was this module's (answered or being answered). */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
}

export const SETUP_PATH = '/setup';
const CHECK_PATH = '/setup/check.svg';
const PROFILE = /^\/setup\/kalkan-([a-z0-9-]+)-(doh|dot)\.mobileconfig$/;
/** Apple's content type for configuration profiles. */
const APPLE_PROFILE_TYPE = 'application/x-apple-aspen-config';

const origin = (url: string) => new URL(url).origin;

export function setupRoutes(config: SetupConfig, status: HostPort): StatusRoutes {
  const checkImage =
    checkAddresses(config.checkAddresses, status).length > 0
      ? `http://${config.checkName}:${status.port}${CHECK_PATH}`
      : undefined;
  // The page may show the picture from the check name (an <object>), and nothing else.
  const pageHeaders = {
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': `default-src 'none'; style-src 'unsafe-inline'; img-src 'self'${checkImage ? `; object-src ${origin(checkImage)}; frame-src ${origin(checkImage)}` : ''}; form-action 'self'; frame-ancestors 'none'`,
    'x-frame-options': 'DENY',
  };
  const page = async (req: IncomingMessage, res: ServerResponse, device: string | undefined) => {
    const text = setupText(req.headers['accept-language']);
    let setup: ReturnType<typeof deviceSetup>;
    try {
      setup = deviceSetup(config, device || undefined);
    } catch (error) {
      if (!(error instanceof DeviceIdError)) throw error;
      res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' }).end(`${error.message}\n`);
      return;
    }
    // The QR and plist libraries load on first use: most status pages never serve /setup.
    const { qrSvg } = await import('./qr.js');
    const here = pageAddress(req.headers.host, setup.deviceId);
    const html = renderSetupPage({
      text,
      setup,
      devices: config.devices,
      ...(setup.dotHost && { qr: await qrSvg(setup.dotHost) }),
      ...(here && { pageQr: await qrSvg(here) }),
      ...(checkImage && { checkImage }),
      checkName: config.checkName,
    });
    res.writeHead(200, pageHeaders).end(html);
  };
  return {
    hosts: [config.checkName],
    handle(req, res) {
      const url = new URL(req.url ?? '/', 'http://status');
      const host = (req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
      if (host === config.checkName && url.pathname !== CHECK_PATH) {
        res.writeHead(404).end();
        return true;
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') return false;
      if (url.pathname === CHECK_PATH) {
        res
          .writeHead(200, { 'content-type': 'image/svg+xml', 'cache-control': 'no-store' })
          .end(checkBadge(setupText(req.headers['accept-language'])));
        return true;
      }
      if (url.pathname === SETUP_PATH) {
        page(req, res, url.searchParams.get('device') ?? undefined).catch(() =>
          res.writeHead(500).end(),
        );
        return true;
      }
      const profile = PROFILE.exec(url.pathname);
      if (profile) {
        const [, id = '', protocol] = profile;
        profileResponse(config, id, protocol === 'doh' ? 'HTTPS' : 'TLS').then(
          (body) => {
            if (!body) res.writeHead(404).end();
            else
              res
                .writeHead(200, {
                  'content-type': APPLE_PROFILE_TYPE,
                  'content-disposition': `attachment; filename="kalkan-${id}-${protocol}.mobileconfig"`,
                })
                .end(body);
          },
          () => res.writeHead(500).end(),
        );
        return true;
      }
      return false;
    },
  };
}

/** The profile for device `id` ("default": no device), or undefined for a bad id or protocol not set up. */
async function profileResponse(
  config: SetupConfig,
  id: string,
  protocol: 'HTTPS' | 'TLS',
): Promise<string | undefined> {
  if (!DEVICE_ID.test(id)) return undefined;
  const { appleProfile } = await import('./apple-profile.js');
  return appleProfile(deviceSetup(config, id === 'default' ? undefined : id), protocol);
}

/**
 * This page's own URL when it was reached by a LAN address or name (not loopback, nor the check
 * name), for a phone to open; the Host was already checked by the status server.
 */
function pageAddress(host: string | undefined, deviceId: string | undefined): string | undefined {
  if (!host) return undefined;
  const name = /^\[([^\]]+)\]/.exec(host)?.[1] ?? host.replace(/:\d+$/, '');
  if (name === 'localhost' || name.startsWith('127.') || name === '::1') return undefined;
  return `http://${host}${SETUP_PATH}${deviceId ? `?device=${deviceId}` : ''}`;
}
