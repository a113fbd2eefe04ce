/**
 * A public suffix (`test`, `co.uk`, `github.io`: the Public Suffix List, ICANN and private
 * sections, through tldts) is never one site: nothing is unlocked for it, whatever blocked it.
 */
// The package's own minified build: about half the bytes of its ES module tree as bundled,
// and this module is in the service worker's start-up graph.
import { getDomain } from 'tldts/dist/index.esm.min.js';

export function isPublicSuffix(host: string): boolean {
  return getDomain(host, { allowPrivateDomains: true }) === null;
}
