/**
 * The /setup page: per platform, what to install or type so a device's DNS goes through Kalkan,
 * and "am I protected?". Server-rendered, no script: the QR code is inline SVG, and the check
 * is a picture from the check name with a "not protected" fallback (see checkSection).
 */
import { escapeHtml } from '../html.js';
import type { DeviceSetup } from './endpoints.js';
import type { SetupText } from './text.js';

export interface SetupView {
  text: SetupText;
  setup: DeviceSetup;
  /** Device ids offered as links. */
  devices: readonly string[];
  /** The Android hostname's QR code (SVG), when DoT is configured. */
  qr?: string;
  /** This page's address as a QR code (SVG), to open it on the phone, when reached by a LAN address. */
  pageQr?: string;
  /** http://CHECKNAME:PORT/setup/check.svg, when the check name points anywhere. */
  checkImage?: string;
  checkName: string;
}

/** The profile download's path for a protocol and device. */
export function profilePath(protocol: 'doh' | 'dot', deviceId: string | undefined): string {
  return `/setup/kalkan-${deviceId ?? 'default'}-${protocol}.mobileconfig`;
}

const STYLE = `body{font-family:system-ui,sans-serif;margin:1.5rem;max-width:46rem;line-height:1.45}
code,pre{background:#f3f3f3;padding:.1rem .3rem;overflow-wrap:anywhere}pre{padding:.6rem;white-space:pre-wrap}
.host{font-size:1.3rem;font-weight:bold}.check{width:24rem;max-width:100%;margin:.5rem 0}
.check object{display:block;width:100%;height:6rem}
.check p{margin:0;height:100%;box-sizing:border-box;padding:.6rem;background:#fde2e1;color:#8a1c13;border:2px solid #8a1c13}`;

function deviceSection(v: SetupView): string {
  const { text, setup, devices } = v;
  const links = devices
    .map((id) => `<a href="/setup?device=${escapeHtml(id)}">${escapeHtml(id)}</a>`)
    .join(' · ');
  return `<form method="get" action="/setup" id="device"><label>${escapeHtml(text.device)}
<input name="device" value="${escapeHtml(setup.deviceId ?? '')}" pattern="[a-z0-9][a-z0-9\\-]{0,62}" maxlength="63"></label>
<small>${escapeHtml(text.deviceHint)}</small> <button type="submit">${escapeHtml(text.show)}</button></form>
${links ? `<p id="devices">${links}</p>` : ''}${setup.deviceId ? `<p><strong>${escapeHtml(text.forDevice(setup.deviceId))}</strong></p>` : ''}`;
}

const steps = (items: readonly string[]) =>
  `<ol>${items.map((s) => `<li>${escapeHtml(s)}</li>`).join('')}</ol>`;

function appleSection(v: SetupView): string {
  const { text, setup } = v;
  const links = [
    setup.dohUrl &&
      `<li><a id="profile-doh" href="${profilePath('doh', setup.deviceId)}">${escapeHtml(text.appleDoh)}</a></li>`,
    setup.dotHost &&
      `<li><a id="profile-dot" href="${profilePath('dot', setup.deviceId)}">${escapeHtml(text.appleDot)}</a></li>`,
  ].filter(Boolean);
  const openOnPhone = v.pageQr
    ? `<p>${escapeHtml(text.openOnPhone)}</p><div id="page-qr">${v.pageQr}</div>`
    : '';
  return `<section id="apple"><h2>${escapeHtml(text.apple)}</h2>${steps(text.appleSteps)}${openOnPhone}<ul>${links.join('')}</ul><p>${escapeHtml(text.unsigned)}</p></section>`;
}

function androidSection(v: SetupView): string {
  const { text, setup } = v;
  if (!setup.dotHost) return '';
  const [open, type, save] = text.androidSteps;
  return `<section id="android"><h2>${escapeHtml(text.android)}</h2><ol><li>${escapeHtml(open)}</li>
<li>${escapeHtml(type)}<br><span class="host" id="android-host">${escapeHtml(setup.dotHost)}</span></li><li>${escapeHtml(save)}</li></ol>
${v.qr ? `<p>${escapeHtml(text.androidQr)}</p><div id="android-qr">${v.qr}</div>` : ''}</section>`;
}

function adminSection(v: SetupView): string {
  const { text, setup } = v;
  if (!setup.dohUrl) return '';
  const policy = JSON.stringify(
    { DnsOverHttpsMode: 'secure', DnsOverHttpsTemplates: setup.dohUrl },
    null,
    2,
  );
  const servers = setup.serverAddresses?.length ? setup.serverAddresses : [text.serverIp];
  const netsh = servers
    .map(
      (ip) =>
        `netsh dns add encryption server=${ip} dohtemplate=${setup.dohUrl} autoupgrade=yes udpfallback=no`,
    )
    .join('\n');
  return `<section id="admins"><h2>${escapeHtml(text.admins)}</h2><p>${escapeHtml(text.chromePolicy)}</p>
<pre id="chrome-policy">${escapeHtml(policy)}</pre><p>${escapeHtml(text.windows)}</p><pre id="netsh">${escapeHtml(netsh)}</pre></section>`;
}

/**
 * The check needs no script and fetches nothing outside: an <object> showing a picture from
 * http://CHECKNAME:PORT/, whose fallback content (shown by the browser when the picture cannot
 * be loaded) says "not protected". Only Kalkan answers the check name (with this server's
 * address), so the green picture appears only when this device's lookups go through Kalkan.
 */
function checkSection(v: SetupView): string {
  const { text } = v;
  const box = v.checkImage
    ? `<div class="check" id="check"><object id="check-object" data="${escapeHtml(v.checkImage)}" type="image/svg+xml"><p id="check-fallback">${escapeHtml(text.notProtected)}</p></object></div>`
    : '';
  return `<section id="am-i-protected"><h2>${escapeHtml(text.check)}</h2><p>${escapeHtml(text.checkHow)}</p>${box}
<p>${escapeHtml(text.checkByHand)}</p><pre>nslookup -type=TXT ${escapeHtml(v.checkName)}
dig ${escapeHtml(v.checkName)} TXT</pre><p>${escapeHtml(text.checkExplain)}</p></section>`;
}

export function renderSetupPage(v: SetupView): string {
  const { text, setup } = v;
  const encrypted = setup.dohUrl || setup.dotHost;
  const body = [
    `<h1>${escapeHtml(text.title)} — ${escapeHtml(setup.name)}</h1><p>${escapeHtml(text.intro)}</p>`,
    encrypted ? deviceSection(v) : `<p id="no-encrypted">${escapeHtml(text.noEncrypted)}</p>`,
    encrypted ? appleSection(v) : '',
    androidSection(v),
    adminSection(v),
    checkSection(v),
  ];
  return `<!doctype html>
<html lang="${text.lang}"><head><meta charset="utf-8"><title>${escapeHtml(text.title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>${STYLE}</style></head><body>
${body.join('\n')}
</body></html>`;
}

/** The picture the check shows when it loads. */
export function checkBadge(text: SetupText): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="100%" height="100%" viewBox="0 0 384 96"><rect width="384" height="96" fill="#1e7b34"/><text x="12" y="53" font-family="system-ui,sans-serif" font-size="14" fill="#fff">✔ ${escapeHtml(text.protectedBadge)}</text></svg>`;
}
