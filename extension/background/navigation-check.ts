/**
 * The decision for one navigation: is this http(s) URL on a hashed list, and if so, where does
 * the tab go. The block page learns the category and the host only, never the full URL.
 */
import type { Matcher } from '../../blocklists/matcher.js';
import { BLOCK_PAGE } from '../manifest.js';

export type NavigationVerdict =
  | { blocked: false }
  | {
      blocked: true;
      host: string;
      category: string;
      blockPagePath: string;
      /** The host itself is listed (not only a path under it): later loads can be blocked by host. */
      wholeHost: boolean;
    };

export function blockPagePath(category: string, host?: string): string {
  const query = new URLSearchParams({ c: category, ...(host ? { h: host } : {}) });
  return `/${BLOCK_PAGE}?${query}`;
}

export function checkNavigation(matcher: Matcher, url: string): NavigationVerdict {
  if (!url.startsWith('http:') && !url.startsWith('https:')) return { blocked: false };
  const verdict = matcher.matchUrl(url);
  if (!verdict.blocked) return { blocked: false };
  const host = new URL(url).hostname;
  return {
    blocked: true,
    host,
    category: verdict.category,
    blockPagePath: blockPagePath(verdict.category, host),
    wholeHost: matcher.match(host).blocked,
  };
}
