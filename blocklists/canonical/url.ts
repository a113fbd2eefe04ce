/**
 * Safe Browsing URL canonicalization, and the host-suffix × path-prefix expressions that are
 * hashed and looked up for a URL. Rules: Safe Browsing v4 "URLs and Hashing" (the same text is
 * in Google's Web Risk documentation).
 *
 * The work is done on byte strings (one char per byte, 0–255): percent-unescaping can produce
 * bytes that are not valid UTF-8, and Safe Browsing escapes bytes, not characters.
 */
import { whatwgHost } from './hostname.js';

export type CanonicalUrlResult =
  | { ok: true; host: string; path: string; query: string | undefined }
  | { ok: false; reason: string };

export type EntryExpressionResult =
  | { ok: true; host: string; expression: string }
  | { ok: false; reason: string };

/** The exact host plus up to four suffixes taken from its last five labels. */
const HOST_SUFFIX_LABELS = 5;
/** Directory prefixes from the root: `/`, `/1/`, `/1/2/`, `/1/2/3/`. */
const PATH_PREFIXES = 4;
const PERCENT_ESCAPE = /%([0-9a-f]{2})/gi;
const SCHEME = /^([a-z][a-z0-9+.-]*):\/\//i;
const DOTTED_QUAD = /^\d{1,3}(\.\d{1,3}){3}$/;

export function canonicalizeUrl(url: string): CanonicalUrlResult {
  let text = url.replace(/[\t\r\n]/g, '').trim();
  // The fragment goes before unescaping, so an escaped "%23" stays part of the path.
  const fragment = text.indexOf('#');
  if (fragment >= 0) text = text.slice(0, fragment);
  if (text === '') return { ok: false, reason: 'empty URL' };

  let rest = unescapeFully(toByteString(text));
  const scheme = SCHEME.exec(rest);
  if (scheme) {
    const name = (scheme[1] ?? '').toLowerCase();
    if (name !== 'http' && name !== 'https') {
      // Quoted only when it looks like a scheme, not like a name from the list.
      const shown = /^[a-z]{1,10}$/.test(name) ? ` "${name}"` : '';
      return { ok: false, reason: `unsupported scheme${shown}` };
    }
    rest = rest.slice(scheme[0].length);
  }

  const authorityEnd = rest.search(/[/?]/);
  const authority = authorityEnd < 0 ? rest : rest.slice(0, authorityEnd);
  const pathAndQuery = authorityEnd < 0 ? '' : rest.slice(authorityEnd);

  const hostAndPort = authority.slice(authority.lastIndexOf('@') + 1); // credentials dropped
  const rawHost = withoutPort(hostAndPort);
  if (rawHost === undefined) return { ok: false, reason: 'invalid port' };
  const host = canonicalHost(rawHost);
  if (host === undefined) return { ok: false, reason: 'no host' };

  const queryStart = pathAndQuery.indexOf('?');
  const path = queryStart < 0 ? pathAndQuery : pathAndQuery.slice(0, queryStart);
  const query = queryStart < 0 ? undefined : pathAndQuery.slice(queryStart + 1);
  return {
    ok: true,
    host: escapeBytes(host),
    path: escapeBytes(canonicalPath(path)),
    query: query === undefined ? undefined : escapeBytes(query),
  };
}

/**
 * The expressions Safe Browsing checks for a URL, most specific first: up to 5 host variants ×
 * up to 6 path variants, each `host + path`. An unusable URL has none.
 */
export function urlExpressions(url: string): string[] {
  const canonical = canonicalizeUrl(url);
  return canonical.ok ? canonicalUrlExpressions(canonical) : [];
}

/** The same, for a URL already canonicalized. */
export function canonicalUrlExpressions(canonical: {
  host: string;
  path: string;
  query: string | undefined;
}): string[] {
  const paths = pathVariants(canonical.path, canonical.query);
  return hostVariants(canonical.host).flatMap((host) => paths.map((path) => host + path));
}

/** The expression a URL list entry is hashed as. */
export function urlEntryExpression(url: string): EntryExpressionResult {
  const canonical = canonicalizeUrl(url);
  if (!canonical.ok) return canonical;
  // An empty query ("page?") narrows nothing: the path without its query is checked for every URL.
  const query = canonical.query ? `?${canonical.query}` : '';
  return { ok: true, host: canonical.host, expression: canonical.host + canonical.path + query };
}

/** The expression of a domain entry: the same as a URL entry for the whole site. */
export function domainExpression(host: string): string {
  return `${host}/`;
}

/** Whether a canonical host is an IP address (dotted-quad IPv4 or bracketed IPv6). */
export function isIpAddress(host: string): boolean {
  return DOTTED_QUAD.test(host) || host.startsWith('[');
}

function hostVariants(host: string): string[] {
  if (isIpAddress(host)) return [host];
  const labels = host.split('.');
  const variants = [host];
  // Suffixes of the last five labels, longest first, never the bare top-level label.
  for (let i = Math.max(1, labels.length - HOST_SUFFIX_LABELS); i < labels.length - 1; i++) {
    variants.push(labels.slice(i).join('.'));
  }
  return variants;
}

function pathVariants(path: string, query: string | undefined): string[] {
  const variants = query === undefined ? [path] : [`${path}?${query}`, path];
  const directories = path.split('/').slice(1, -1);
  let prefix = '/';
  variants.push(prefix);
  for (const directory of directories.slice(0, PATH_PREFIXES - 1)) {
    prefix += `${directory}/`;
    variants.push(prefix);
  }
  return [...new Set(variants)];
}

/** The host part of `host[:port]`, or undefined when the port is not a number. */
function withoutPort(hostAndPort: string): string | undefined {
  const portStart = hostAndPort.startsWith('[')
    ? hostAndPort.indexOf(':', hostAndPort.indexOf(']'))
    : hostAndPort.lastIndexOf(':');
  if (portStart < 0) return hostAndPort;
  return /^\d*$/.test(hostAndPort.slice(portStart + 1))
    ? hostAndPort.slice(0, portStart)
    : undefined;
}

function canonicalHost(raw: string): string | undefined {
  if (raw.startsWith('[')) return whatwgHost(raw); // IPv6: leading zeros dropped, zeros collapsed
  let host = raw.replace(/[A-Z]+/g, (upper) => upper.toLowerCase());
  if (/[\x80-\xff]/.test(host)) host = internationalHost(host);
  host = host.replace(/\.{2,}/g, '.').replace(/^\.+|\.+$/g, '');
  if (host === '') return undefined;
  return ipv4DottedDecimal(host) ?? host;
}

/** A UTF-8 host in punycode; bytes that are not a valid name stay as they are (and are escaped). */
function internationalHost(bytes: string): string {
  const text = fromUtf8(bytes);
  return (text === undefined ? undefined : whatwgHost(text)) ?? bytes;
}

/**
 * Any legal IPv4 spelling (decimal, octal, hex, one to four parts, the last part filling the
 * remaining bytes, as inet_aton reads it) as four decimal parts; undefined if it is not one.
 */
function ipv4DottedDecimal(host: string): string | undefined {
  const numbers = host.split('.').map(ipv4Number);
  if (numbers.length > 4) return undefined;
  let value = 0;
  for (const [index, number] of numbers.entries()) {
    if (number === undefined) return undefined;
    const isLast = index === numbers.length - 1;
    const bytes = isLast ? 4 - index : 1;
    if (number >= 256 ** bytes) return undefined;
    value = value * 256 ** bytes + number;
  }
  return [3, 2, 1, 0].map((shift) => Math.floor(value / 256 ** shift) % 256).join('.');
}

function ipv4Number(part: string): number | undefined {
  if (/^0x[0-9a-f]*$/.test(part)) return part === '0x' ? 0 : Number.parseInt(part.slice(2), 16);
  if (/^0[0-7]+$/.test(part)) return Number.parseInt(part, 8);
  if (/^(0|[1-9][0-9]*)$/.test(part)) return Number(part);
  return undefined;
}

/** Resolves `.` and `..` segments and collapses runs of slashes; a directory keeps its slash. */
function canonicalPath(path: string): string {
  const parts = path.split('/');
  const segments: string[] = [];
  for (const part of parts) {
    if (part === '..') segments.pop();
    else if (part !== '' && part !== '.') segments.push(part);
  }
  const last = parts[parts.length - 1];
  const isDirectory = last === '' || last === '.' || last === '..';
  if (segments.length === 0) return '/';
  return `/${segments.join('/')}${isDirectory ? '/' : ''}`;
}

function unescapeFully(bytes: string): string {
  let current = bytes;
  for (;;) {
    const next = current.replace(PERCENT_ESCAPE, (_, hex: string) =>
      String.fromCharCode(Number.parseInt(hex, 16)),
    );
    if (next === current) return current;
    current = next;
  }
}

/** Percent-escapes bytes <= 0x20, >= 0x7f, '#' and '%', with upper-case hex. */
function escapeBytes(bytes: string): string {
  let escaped = '';
  for (const char of bytes) {
    const code = char.charCodeAt(0);
    const mustEscape = code <= 0x20 || code >= 0x7f || char === '#' || char === '%';
    escaped += mustEscape ? `%${code.toString(16).toUpperCase().padStart(2, '0')}` : char;
  }
  return escaped;
}

function toByteString(text: string): string {
  let bytes = '';
  for (const byte of new TextEncoder().encode(text)) bytes += String.fromCharCode(byte);
  return bytes;
}

function fromUtf8(bytes: string): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(
      Uint8Array.from(bytes, (char) => char.charCodeAt(0)),
    );
  } catch {
    return undefined;
  }
}
