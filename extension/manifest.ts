/**
 * The manifest for each browser. Chrome gets a module service worker and `split` incognito
 * (extension pages must load in incognito tabs, as uBlock Origin Lite does); Firefox gets
 * `background.scripts`, its add-on id, the data-collection declaration and blocking webRequest.
 * docs/extension.md justifies every permission.
 */
import type { ManifestV3Export } from '@crxjs/vite-plugin';

export type TargetBrowser = 'chrome' | 'firefox';

/** Static rulesets compiled at build time (extension/build/generate.ts writes them). */
export const RULESETS = [
  // Holds every http(s) page load from install (or update) until the worker has its hashed
  // lists: the browser enables it with the package, the worker turns it off once ready.
  { id: 'install_gate', path: 'rules/install_gate.json', enabled: true },
  { id: 'adult', path: 'rules/adult.json', enabled: true },
  { id: 'bypass', path: 'rules/bypass.json', enabled: true },
  { id: 'safe_search', path: 'rules/safe_search.json', enabled: true },
] as const;

export const BLOCK_PAGE = 'pages/block.html';
export const FIREFOX_ID = 'kalkan@kalkan.invalid';

export function manifestFor(browser: TargetBrowser, version: string): ManifestV3Export {
  const chrome = browser === 'chrome';
  return {
    manifest_version: 3,
    name: '__MSG_extName__',
    description: '__MSG_extDescription__',
    version,
    default_locale: 'en',
    background: chrome
      ? { service_worker: 'background/index.ts', type: 'module' }
      : ({ scripts: ['background/index.ts'], type: 'module' } as never),
    action: { default_popup: 'pages/popup.html', default_title: '__MSG_extName__' },
    options_ui: { page: 'pages/options.html', open_in_tab: true },
    permissions: [
      'declarativeNetRequest',
      'webNavigation',
      'webRequest',
      // Firefox always; Chrome grants it only on a policy (force) install, and ignores it otherwise.
      'webRequestBlocking',
      'storage',
      'alarms',
    ],
    host_permissions: ['<all_urls>'],
    declarative_net_request: { rule_resources: RULESETS.map((r) => ({ ...r })) },
    storage: { managed_schema: 'managed_schema.json' },
    ...(chrome ? { incognito: 'split' as const } : {}),
    // The DNR redirect to the block page needs the page web-accessible; on Chrome only under
    // a per-session id (`use_dynamic_url`), so a site can neither frame it nor probe for it.
    web_accessible_resources: [
      {
        resources: [BLOCK_PAGE],
        matches: ['<all_urls>'],
        ...(chrome ? { use_dynamic_url: true } : {}),
      },
    ],
    ...(chrome
      ? {}
      : {
          browser_specific_settings: {
            gecko: {
              id: FIREFOX_ID,
              strict_min_version: '142.0',
              data_collection_permissions: { required: ['none'] },
            },
          },
        }),
  };
}
