/**
 * Safe search as DNR rules: Google (`safe=active`), Bing (`adlt=strict`), DuckDuckGo (`kp=1`)
 * by rewriting the query of search pages, YouTube by the `YouTube-Restrict: Strict` request
 * header that YouTube honours (restricted mode). A rewrite that leaves the URL unchanged is not
 * a redirect, so an already safe URL loads as it is.
 */
import type { DnrResourceType } from '../../blocklists/exports/dnr.js';

export interface SafeSearchRule {
  id: number;
  priority: number;
  action:
    | {
        type: 'redirect';
        redirect: {
          transform: { queryTransform: { addOrReplaceParams: { key: string; value: string }[] } };
        };
      }
    | {
        type: 'modifyHeaders';
        requestHeaders: { header: string; operation: 'set'; value: string }[];
      };
  condition: {
    requestDomains?: string[];
    urlFilter?: string;
    regexFilter?: string;
    resourceTypes: DnrResourceType[];
  };
}

/** Google's search front ends most used in the region; each name covers its subdomains. */
export const GOOGLE_DOMAINS = [
  'google.com',
  'google.kg',
  'google.ru',
  'google.kz',
  'google.com.tr',
  'google.de',
  'google.co.uk',
  'google.uz',
  'google.tj',
];
export const YOUTUBE_DOMAINS = [
  'youtube.com',
  'youtube-nocookie.com',
  'youtubei.googleapis.com',
  'youtube.googleapis.com',
];
const PAGES: DnrResourceType[] = ['main_frame', 'sub_frame', 'xmlhttprequest'];
/** Above list block/allow priorities, so an allowed page still gets safe search. */
const PRIORITY = 5;

function setParam(key: string, value: string): SafeSearchRule['action'] {
  return {
    type: 'redirect',
    redirect: { transform: { queryTransform: { addOrReplaceParams: [{ key, value }] } } },
  };
}

export function safeSearchRules(): SafeSearchRule[] {
  return [
    {
      id: 1,
      priority: PRIORITY,
      action: setParam('safe', 'active'),
      condition: { requestDomains: GOOGLE_DOMAINS, urlFilter: '/search?', resourceTypes: PAGES },
    },
    {
      id: 2,
      priority: PRIORITY,
      action: setParam('adlt', 'strict'),
      condition: { requestDomains: ['bing.com'], urlFilter: '/search?', resourceTypes: PAGES },
    },
    {
      id: 3,
      priority: PRIORITY,
      action: setParam('kp', '1'),
      condition: {
        regexFilter: '^https://(html\\.|lite\\.)?duckduckgo\\.com/(html/?|lite/?)?\\?(.*&)?q=',
        resourceTypes: PAGES,
      },
    },
    {
      id: 4,
      priority: PRIORITY,
      action: {
        type: 'modifyHeaders',
        requestHeaders: [{ header: 'YouTube-Restrict', operation: 'set', value: 'Strict' }],
      },
      condition: { requestDomains: YOUTUBE_DOMAINS, resourceTypes: [...PAGES, 'other'] },
    },
  ];
}
