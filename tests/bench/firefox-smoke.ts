/**
 * `npm run smoke:firefox`: the Firefox build in a real Firefox ESR (Debian `firefox-esr`, run as
 * root), by hand, not in `npm test` (CI installs no Firefox, and this writes the system-wide
 * policy file for the run). Playwright cannot drive a stock Firefox, so the extension is
 * force-installed by enterprise policy (ESR honours `xpinstall.signatures.required=false`), all
 * traffic goes through the test server as an HTTP proxy, and what the server sees is the proof:
 * an unrelated page loads and its script runs; the hashed-list host (blocking webRequest) and
 * the adult host and its subdomain (static DNR rules) are never requested at all.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureExtensionBuilt, ROOT, sleep, TestServers } from '../e2e/extension-harness.js';

const FIREFOX = '/usr/bin/firefox-esr';
const POLICIES = '/usr/lib/firefox-esr/distribution/policies.json';
const EXTENSION_ID = 'kalkan@kalkan.invalid';

if (!existsSync(FIREFOX)) throw new Error(`${FIREFOX} missing: apt-get install firefox-esr`);
if (existsSync(POLICIES)) throw new Error(`${POLICIES} exists already: not overwriting it`);
ensureExtensionBuilt();

const servers = new TestServers();
await servers.start();
const profile = mkdtempSync(join(tmpdir(), 'kalkan-firefox-'));
const prefs = {
  'network.proxy.type': 1,
  'network.proxy.http': '127.0.0.1',
  'network.proxy.http_port': servers.httpPort,
  'network.proxy.ssl': '127.0.0.1',
  'network.proxy.ssl_port': servers.httpsPort,
  'network.proxy.allow_hijacking_localhost': true,
  'network.proxy.no_proxies_on': '',
  'xpinstall.signatures.required': false,
  'dom.security.https_first': false,
  'browser.shell.checkDefaultBrowser': false,
};

async function runFirefox(urls: string[], ms: number): Promise<void> {
  const firefox = spawn(FIREFOX, ['--headless', '--profile', profile, '--new-instance', ...urls], {
    stdio: 'ignore',
  });
  await sleep(ms);
  firefox.kill('SIGTERM');
  await new Promise((r) => firefox.once('exit', r));
}

let failed = false;
const check = (what: string, ok: boolean) => {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  failed ||= !ok;
};

try {
  writeFileSync(
    POLICIES,
    JSON.stringify({
      policies: {
        ExtensionSettings: {
          [EXTENSION_ID]: {
            installation_mode: 'force_installed',
            install_url: `file://${join(ROOT, 'dist/kalkan-firefox.zip')}`,
          },
        },
      },
    }),
  );
  writeFileSync(
    join(profile, 'user.js'),
    Object.entries(prefs)
      .map(([k, v]) => `user_pref(${JSON.stringify(k)}, ${JSON.stringify(v)});`)
      .join('\n'),
  );
  // First start: the policy installs the extension, which loads its lists and opens its gate.
  await runFirefox(['about:blank'], 12_000);
  check('installed by policy', existsSync(join(profile, 'extensions', `${EXTENSION_ID}.xpi`)));
  const from = servers.seen.length;
  await runFirefox(
    [
      'http://unrelated.example/?tag=ok',
      'http://www.abuse-demo.test/x?tag=abuse',
      'http://adult-demo.test/?tag=adult',
      'http://sub.adult-demo.test/?tag=adult2',
    ],
    15_000,
  );
  const requested = (host: string) => servers.seen.slice(from).some((s) => s.host.endsWith(host));
  check('an unrelated page loads and its script runs', servers.beacons('ok') > 0);
  check('the hashed-list host is never requested', !requested('abuse-demo.test'));
  check('the adult host and its subdomain are never requested', !requested('adult-demo.test'));
  check(
    'no blocked page ran script',
    ['abuse', 'adult', 'adult2'].every((t) => !servers.beacons(t)),
  );
} finally {
  rmSync(POLICIES, { force: true });
  rmSync(profile, { recursive: true, force: true });
  servers.stop();
}
process.exit(failed ? 1 : 0);
