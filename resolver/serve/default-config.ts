/**
 * The embedded default configuration (`npm start`, or `kalkan serve` without --config): loopback
 * on port 5353, upstreams from /etc/resolv.conf, the demo lists of reserved .test names and the
 * bypass list (blocklists/bypass/) pinned to the demo publisher key, safe search on, the status
 * page on 127.0.0.1:8053.
 */
import { fileURLToPath } from 'node:url';
import { type Config, parseConfig, resolvePaths } from './config.js';

/** The package root: this file runs from build/resolver/serve/. */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export const DEFAULT_CONFIG_YAML = `# kalkan serve: embedded default configuration
listen: ["127.0.0.1:5353", "[::1]:5353"]
upstreams: []            # empty: the nameservers in /etc/resolv.conf
lists:
  - file: build/lists/demo-abuse.klb
  - file: build/lists/demo-adult.klb
  - file: build/lists/kalkan-bypass.klb   # public DoH/DoT resolvers, iCloud Private Relay
trust:
  - blocklists/demo/demo-publisher.pub
safeSearch: true
status: "127.0.0.1:8053"
`;

export function defaultConfig(): Config {
  return resolvePaths(parseConfig(DEFAULT_CONFIG_YAML, '(embedded default)'), PACKAGE_ROOT);
}
