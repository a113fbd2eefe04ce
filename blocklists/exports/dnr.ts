/**
 * Chrome declarativeNetRequest rules. Domains are packed into `requestDomains` (which also
 * matches subdomains), a bounded number per rule: Safari expands each domain into a rule of its
 * own, so about a thousand per rule stays portable. Allow entries get a higher priority.
 *
 * An exact-name entry cannot use `requestDomains` (nor `||name^`), which take subdomains too:
 * it gets one `urlFilter` rule per scheme, `|http://name^` and `|https://name^` (`|` anchors the
 * URL's start and `^` matches `:`, `/`, `?` or its end, so neither `x.name` nor `name.other`
 * matches). WebSocket requests to the exact name are not covered.
 */
import type { ReadableList } from './readable.js';

export type DnrResourceType =
  | 'main_frame'
  | 'sub_frame'
  | 'stylesheet'
  | 'script'
  | 'image'
  | 'font'
  | 'object'
  | 'xmlhttprequest'
  | 'ping'
  | 'media'
  | 'websocket'
  | 'webtransport'
  | 'webbundle'
  | 'other';

export interface DnrRule {
  id: number;
  priority: number;
  action:
    | { type: 'block' | 'allow' }
    | { type: 'redirect'; redirect: { extensionPath?: string; regexSubstitution?: string } };
  condition: {
    requestDomains?: string[];
    urlFilter?: string;
    regexFilter?: string;
    resourceTypes?: DnrResourceType[];
  };
}

/** Which browser's rule schema: Firefox refuses a rule naming a type it lacks. */
export type DnrBrowser = 'chrome' | 'firefox';

export interface DnrOptions {
  /** Default `chrome`. */
  browser?: DnrBrowser;
  firstId?: number;
  domainsPerRule?: number;
  /** Top-level navigations go to this extension page instead of failing; e.g. `/block.html?c=adult`. */
  blockPagePath?: string;
}

export const BLOCK_PRIORITY = 1;
export const ALLOW_PRIORITY = 2;
/** Every request type but main_frame, as `browser` names them (Chrome has two Firefox lacks). */
export function subresourceTypes(browser: DnrBrowser = 'chrome'): DnrResourceType[] {
  const both: DnrResourceType[] = [
    'sub_frame',
    'stylesheet',
    'script',
    'image',
    'font',
    'object',
    'xmlhttprequest',
    'ping',
    'media',
    'websocket',
  ];
  return browser === 'chrome'
    ? [...both, 'webtransport', 'webbundle', 'other']
    : [...both, 'other'];
}

/** Without `resourceTypes` a rule matches everything but main_frame: allow rules name them all. */
export function allResourceTypes(browser: DnrBrowser = 'chrome'): DnrResourceType[] {
  return ['main_frame', ...subresourceTypes(browser)];
}
/** urlFilter gives these characters meaning; URL entries containing them are left out. */
export const URL_FILTER_SPECIAL = /[*|^]/;

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export function dnrRules(list: ReadableList, options: DnrOptions = {}): DnrRule[] {
  const perRule = options.domainsPerRule ?? 1000;
  const subresources = subresourceTypes(options.browser);
  const all = allResourceTypes(options.browser);
  const rules: DnrRule[] = [];
  let id = options.firstId ?? 1;
  const blockActions = (condition: DnrRule['condition']): DnrRule[] =>
    options.blockPagePath
      ? [
          {
            id: id++,
            priority: BLOCK_PRIORITY,
            action: { type: 'redirect', redirect: { extensionPath: options.blockPagePath } },
            condition: { ...condition, resourceTypes: ['main_frame'] },
          },
          {
            id: id++,
            priority: BLOCK_PRIORITY,
            action: { type: 'block' },
            condition: { ...condition, resourceTypes: subresources },
          },
        ]
      : [
          {
            id: id++,
            priority: BLOCK_PRIORITY,
            action: { type: 'block' },
            condition: { ...condition, resourceTypes: all },
          },
        ];
  for (const group of chunks(list.blockDomains, perRule))
    rules.push(...blockActions({ requestDomains: group }));
  for (const url of list.blockUrls.filter((u) => !URL_FILTER_SPECIAL.test(u))) {
    rules.push(...blockActions({ urlFilter: `||${url}` }));
  }
  for (const name of list.blockExact)
    for (const urlFilter of exactNameFilters(name)) rules.push(...blockActions({ urlFilter }));
  for (const group of chunks(list.allowDomains, perRule)) {
    rules.push({
      id: id++,
      priority: ALLOW_PRIORITY,
      action: { type: 'allow' },
      condition: { requestDomains: group, resourceTypes: all },
    });
  }
  for (const url of list.allowUrls.filter((u) => !URL_FILTER_SPECIAL.test(u))) {
    rules.push({
      id: id++,
      priority: ALLOW_PRIORITY,
      action: { type: 'allow' },
      condition: { urlFilter: `||${url}`, resourceTypes: all },
    });
  }
  for (const name of list.allowExact) {
    for (const urlFilter of exactNameFilters(name)) {
      rules.push({
        id: id++,
        priority: ALLOW_PRIORITY,
        action: { type: 'allow' },
        condition: { urlFilter, resourceTypes: all },
      });
    }
  }
  return rules;
}

/** urlFilter patterns matching http(s) URLs whose host is exactly `name`. */
export function exactNameFilters(name: string): string[] {
  return [`|http://${name}^`, `|https://${name}^`];
}
