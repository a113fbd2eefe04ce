/**
 * Issue 14, one-tap device setup: the status page's /setup in Chromium, in English, Russian and
 * Kyrgyz (by Accept-Language), from a real `kalkan serve`. The Apple profile is downloaded
 * through the page and checked against Apple's payload keys; the Android hostname's QR code is
 * rasterised by Chromium and decoded with jsQR; the "am I protected?" box turns green only when
 * the check name resolves to what Kalkan answers for it.
 *
 * Chromium cannot be pointed at a DNS server on a test port, so the check name's address is
 * asked of Kalkan with dig and handed to Chromium as a host-resolver rule; the browser that is
 * "not protected" gets the NXDOMAIN every other resolver gives for that name.
 */
import { readFile } from 'node:fs/promises';
import { request } from 'node:http';
import jsQRModule from 'jsqr';
import { type Browser, chromium, type Page } from 'playwright-core';
import { type PlistValue, parse } from 'plist';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../helpers/chromium.js';
import { dig, type Kalkan, startKalkan, tempDir } from '../helpers/resolver.js';

// jsqr is CommonJS: its function is module.exports and, as its types say, .default.
const jsQR = jsQRModule.default;
const CHECK_NAME = 'check.kalkan.invalid';
/** The status page's LAN name (statusHosts), as a parent's laptop would open it. */
const LAN_NAME = 'kalkan.lan.test';
const SETUP = {
  name: 'Kalkan family DNS',
  doh: 'https://dns.kalkan.test/dns-query',
  dot: 'dns.kalkan.test',
  serverAddresses: ['192.0.2.53'],
  devices: ['amina-phone', 'timur-tablet'],
};

let tmp: Awaited<ReturnType<typeof tempDir>>;
let kalkan: Kalkan;
let checkAddress: string;
const browsers: Browser[] = [];
let through: Browser;
let around: Browser;

function launch(resolverRule: string): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [...CHROMIUM_ARGS, `--host-resolver-rules=${resolverRule}`],
  });
}

beforeAll(async () => {
  tmp = await tempDir('kalkan-setup-');
  kalkan = await startKalkan(tmp.dir, {
    upstreams: ['127.0.0.1:9'],
    statusHosts: [LAN_NAME],
    setup: SETUP,
  });
  checkAddress = (await dig(kalkan.port, CHECK_NAME, 'A', ['+short'])).trim();
  through = await launch(`MAP ${CHECK_NAME} ${checkAddress}, MAP ${LAN_NAME} 127.0.0.1`);
  around = await launch(`MAP ${CHECK_NAME} ~NOTFOUND`);
  browsers.push(through, around);
}, 60_000);

afterAll(async () => {
  await Promise.all(browsers.map((b) => b.close()));
  await kalkan?.stop();
  await tmp?.remove();
});

async function openSetup(browser: Browser, language: string, query = ''): Promise<Page> {
  const context = await browser.newContext({
    acceptDownloads: true,
    extraHTTPHeaders: { 'accept-language': language },
  });
  const page = await context.newPage();
  await page.goto(`http://127.0.0.1:${kalkan.statusPort}/setup${query}`);
  await page.waitForLoadState('load');
  return page;
}

/** GET from the status server with a Host header of our choice (as a browser sends it). */
function getAs(
  host: string,
  path: string,
  language = 'en',
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request(
      {
        host: '127.0.0.1',
        port: kalkan.statusPort,
        path,
        headers: { host: `${host}:${kalkan.statusPort}`, 'accept-language': language },
      },
      (res) => {
        let body = '';
        res.on('data', (d) => {
          body += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    )
      .on('error', reject)
      .end();
  });
}

/**
 * Whether the page says "protected": the check picture loaded, so the browser does not show the
 * <object>'s "not protected" fallback.
 */
const saysProtected = async (page: Page) => {
  await page.waitForLoadState('load');
  return !(await page.isVisible('#check-fallback'));
};

/** What a QR code (SVG markup) says: rasterised by Chromium, read by jsQR. */
async function decodeQr(svg: string): Promise<string | undefined> {
  // On a blank page: the setup page's CSP allows no data: images.
  const blank = await through.newPage();
  try {
    const { width, height, data } = await blank.evaluate(async (markup) => {
      const img = new Image();
      img.src = `data:image/svg+xml;base64,${btoa(markup)}`;
      await img.decode();
      const canvas = document.createElement('canvas');
      canvas.width = img.width;
      canvas.height = img.height;
      const g = canvas.getContext('2d') as CanvasRenderingContext2D;
      g.drawImage(img, 0, 0);
      const pixels = g.getImageData(0, 0, canvas.width, canvas.height);
      return { width: pixels.width, height: pixels.height, data: Array.from(pixels.data) };
    }, svg);
    return jsQR(Uint8ClampedArray.from(data), width, height)?.data;
  } finally {
    await blank.close();
  }
}

describe('/setup', () => {
  it('Kalkan answers the check name with the status page address', () => {
    expect(checkAddress).toBe('127.0.0.1');
  });

  for (const [language, title, protectedText] of [
    ['en-US,en;q=0.9', 'Set up a device', 'Protected'],
    ['ru-RU,ru;q=0.9', 'Настройка устройства', 'Защищено'],
    ['ky,ru;q=0.8', 'Түзмөктү жөндөө', 'Корголгон'],
  ] as const) {
    it(`speaks ${language.slice(0, 2)} and says "protected" only through Kalkan`, async () => {
      const page = await openSetup(through, language);
      expect(await page.getAttribute('html', 'lang')).toBe(language.slice(0, 2));
      expect(await page.textContent('h1')).toContain(title);
      expect(await saysProtected(page)).toBe(true);
      // The picture speaks the browser's language too.
      expect((await getAs(CHECK_NAME, '/setup/check.svg', language)).body).toContain(protectedText);

      const elsewhere = await openSetup(around, language);
      // The browser shows the fallback once the picture's name fails to resolve.
      await elsewhere.waitForSelector('#check-fallback', { state: 'visible', timeout: 10_000 });
      expect(await saysProtected(elsewhere)).toBe(false);
      await page.context().close();
      await elsewhere.context().close();
    });
  }

  it('offers the configured devices; a device id puts itself in every endpoint', async () => {
    const page = await openSetup(through, 'en');
    expect(await page.$$eval('#devices a', (a) => a.map((x) => x.textContent))).toEqual(
      SETUP.devices,
    );
    await page.click('#devices a:text-is("amina-phone")');
    await page.waitForURL(/device=amina-phone/);
    expect(await page.textContent('#android-host')).toBe('amina-phone.dns.kalkan.test');
    expect(JSON.parse((await page.textContent('#chrome-policy')) ?? '')).toEqual({
      DnsOverHttpsMode: 'secure',
      DnsOverHttpsTemplates: 'https://dns.kalkan.test/dns-query/amina-phone',
    });
    expect(await page.textContent('#netsh')).toBe(
      'netsh dns add encryption server=192.0.2.53 dohtemplate=https://dns.kalkan.test/dns-query/amina-phone autoupgrade=yes udpfallback=no',
    );
    await page.context().close();
  });

  it('downloads Apple profiles (DoH and DoT) that parse and carry the payload keys', async () => {
    const page = await openSetup(through, 'en', '?device=amina-phone');
    for (const [link, settings] of [
      [
        '#profile-doh',
        {
          DNSProtocol: 'HTTPS',
          ServerURL: 'https://dns.kalkan.test/dns-query/amina-phone',
          ServerAddresses: ['192.0.2.53'],
        },
      ],
      [
        '#profile-dot',
        {
          DNSProtocol: 'TLS',
          ServerName: 'amina-phone.dns.kalkan.test',
          ServerAddresses: ['192.0.2.53'],
        },
      ],
    ] as const) {
      const [download] = await Promise.all([page.waitForEvent('download'), page.click(link)]);
      expect(download.suggestedFilename()).toMatch(/^kalkan-amina-phone-do[ht]\.mobileconfig$/);
      const profile = parse(await readFile(await download.path(), 'utf8')) as Record<
        string,
        PlistValue
      >;
      expect(profile).toMatchObject({ PayloadType: 'Configuration', PayloadVersion: 1 });
      const [payload] = profile.PayloadContent as Record<string, PlistValue>[];
      expect(payload).toMatchObject({
        PayloadType: 'com.apple.dnsSettings.managed',
        PayloadVersion: 1,
        PayloadIdentifier: expect.any(String),
        PayloadUUID: expect.stringMatching(/^[0-9A-F]{8}-[0-9A-F]{4}-5/),
        PayloadDisplayName: expect.stringContaining('amina-phone'),
      });
      expect(payload?.DNSSettings).toEqual(settings);
    }
    await page.context().close();
  });

  it('draws a QR code that decodes to the Android Private DNS hostname', async () => {
    const page = await openSetup(through, 'en', '?device=timur-tablet');
    expect(await decodeQr(await page.$eval('#android-qr svg', (el) => el.outerHTML))).toBe(
      'timur-tablet.dns.kalkan.test',
    );
    // Opened by loopback, the page offers no address for the phone.
    expect(await page.$('#page-qr')).toBeNull();
    await page.context().close();
  });

  it('opened by its LAN name, shows its own address as a QR code for the phone to open', async () => {
    const context = await through.newContext();
    const page = await context.newPage();
    const url = `http://${LAN_NAME}:${kalkan.statusPort}/setup?device=amina-phone`;
    await page.goto(url);
    expect(await decodeQr(await page.$eval('#page-qr svg', (el) => el.outerHTML))).toBe(url);
    await context.close();
  });

  it('refuses a bad device id with a clear 400, and answers only the picture to the check name', async () => {
    const status = `http://127.0.0.1:${kalkan.statusPort}`;
    const bad = await fetch(`${status}/setup?device=Not.A.Label`);
    expect(bad.status).toBe(400);
    expect(await bad.text()).toMatch(/device id "Not\.A\.Label": expected lower-case letters/);
    expect((await getAs('127.0.0.1', '/setup/kalkan--x-doh.mobileconfig')).status).toBe(404);
    expect((await getAs('127.0.0.1', '/setup/kalkan-default-dot.mobileconfig')).status).toBe(200);
    expect((await getAs(CHECK_NAME, '/')).status).toBe(404);
    expect((await getAs(CHECK_NAME, '/setup')).status).toBe(404);
    expect((await getAs(CHECK_NAME, '/setup/check.svg')).status).toBe(200);
    expect((await getAs('rebound.example', '/setup')).status).toBe(421);
  });
});
