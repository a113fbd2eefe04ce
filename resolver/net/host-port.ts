/**
 * HOST:PORT as typed values, one parser for the config and the command line: `HOST:PORT`,
 * IPv6 as `[ADDR]:PORT`, the port 1-65535. Upstreams add an optional `udp://` or `tcp://`
 * and default to port 53, and must be IP addresses (no lookup before the resolver runs).
 */
import { isIP } from 'node:net';

export interface HostPort {
  host: string;
  port: number;
}

export interface UpstreamAddress extends HostPort {
  protocol: 'udp' | 'tcp';
}

/** Throws an Error saying what is wrong with `text` when it is not HOST:PORT. */
export function parseHostPort(text: string, defaultPort?: number): HostPort {
  const m = /^\[([^\]]+)\](?::([^:]*))?$/.exec(text) ?? /^([^:[\]\s/]+)(?::([^:]*))?$/.exec(text);
  if (!m) throw new Error(`expected HOST:PORT (IPv6 as [ADDR]:PORT), got "${text}"`);
  const host = m[1] as string;
  if (text.startsWith('[') && isIP(host) !== 6)
    throw new Error(`"${host}" in brackets is not an IPv6 address`);
  if (m[2] === undefined) {
    if (defaultPort === undefined) throw new Error(`"${text}" has no :PORT`);
    return { host, port: defaultPort };
  }
  const port = /^\d{1,5}$/.test(m[2]) ? Number(m[2]) : Number.NaN;
  if (!(port >= 1 && port <= 65_535))
    throw new Error(`port "${m[2]}" in "${text}" is not a number from 1 to 65535`);
  return { host, port };
}

/** The text form again: `host:port`, `[v6]:port`. */
export function formatHostPort({ host, port }: HostPort): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** `[udp://|tcp://]IP[:PORT]`, port 53 when not given. */
export function parseUpstream(text: string): UpstreamAddress {
  const tcp = text.startsWith('tcp://');
  const { host, port } = parseHostPort(text.replace(/^(?:udp|tcp):\/\//, ''), 53);
  if (!isIP(host)) throw new Error(`upstream must be an IP address, got "${text}"`);
  return { host, port, protocol: tcp ? 'tcp' : 'udp' };
}

export function formatUpstream(upstream: UpstreamAddress): string {
  return `${upstream.protocol === 'tcp' ? 'tcp://' : ''}${formatHostPort(upstream)}`;
}
