/**
 * Hostname canonicalization shared by list sources, the matcher, the resolver and the extension.
 *
 * A canonical hostname is lower-case ASCII (IDN labels in punycode), without leading or trailing
 * dots, with at least two labels, and is not an IP literal or a special-use local name.
 */

export type HostnameResult = { ok: true; host: string } | { ok: false; reason: string };

const LABEL = /^(?!-)[a-z0-9_-]{1,63}(?<!-)$/;
// A name whose last label is a number is parsed as IPv4 by browsers (WHATWG "ends in a number").
const ENDS_IN_NUMBER = /(^|\.)([0-9]+|0x[0-9a-f]*)$/i;
const NOT_ENTRIES = new Set(['localhost', 'localhost.localdomain', 'local', 'broadcasthost']);

/**
 * The host as the WHATWG URL parser canonicalizes it (IDNA to punycode, IPv6 compressed), or
 * undefined if it rejects it. The parser exists in Node and in browsers alike.
 */
export function whatwgHost(name: string): string | undefined {
  try {
    return new URL(`http://${name}/`).hostname;
  } catch {
    return undefined;
  }
}

/**
 * True when `name` is already canonical: lower-case ASCII labels of 1 to 63 letters, digits,
 * `-` or `_`, no label starting or ending with `-`, at least two labels, at most 253 characters,
 * not ending in a number. One pass, no allocation: the resolver's and matcher's common case.
 */
function isCanonical(name: string): boolean {
  const length = name.length;
  if (length === 0 || length > 253) return false;
  let labelStart = 0;
  let labels = 1;
  let lastLabelNumeric = true;
  for (let i = 0; i <= length; i++) {
    const c = i < length ? name.charCodeAt(i) : 0x2e;
    if (c === 0x2e) {
      const size = i - labelStart;
      if (size === 0 || size > 63) return false;
      if (name.charCodeAt(labelStart) === 0x2d || name.charCodeAt(i - 1) === 0x2d) return false;
      if (i < length) {
        labels++;
        labelStart = i + 1;
        lastLabelNumeric = true;
      }
    } else if (c >= 0x30 && c <= 0x39) {
      // digits keep the label possibly numeric
    } else if ((c >= 0x61 && c <= 0x7a) || c === 0x2d || c === 0x5f) {
      lastLabelNumeric = false;
    } else {
      return false;
    }
  }
  // A last label like `0x1f` is a hex number to a browser: left to the full check.
  const hexLike = name.charCodeAt(labelStart) === 0x30 && name.charCodeAt(labelStart + 1) === 0x78;
  return labels >= 2 && !lastLabelNumeric && !hexLike && !NOT_ENTRIES.has(name);
}

export function canonicalHostname(input: string): HostnameResult {
  if (isCanonical(input)) return { ok: true, host: input };
  let name = input.trim().toLowerCase();
  while (name.endsWith('.')) name = name.slice(0, -1);
  while (name.startsWith('.')) name = name.slice(1);
  if (name === '') return { ok: false, reason: 'empty name' };
  if (name.includes(':') || name.startsWith('['))
    return { ok: false, reason: 'IP address, not a hostname' };
  if (!/^[\x21-\x7e]+$/.test(name)) {
    // Non-ASCII: an internationalized name, converted to punycode.
    if (/[\s/\\?#@]/.test(name)) return { ok: false, reason: 'not a hostname' };
    const ascii = whatwgHost(name);
    if (ascii === undefined) return { ok: false, reason: 'invalid internationalized name' };
    name = ascii.replace(/\.+$/, '');
  }
  // Checked after IDNA, which maps full-width digits and dots to ASCII ones.
  if (ENDS_IN_NUMBER.test(name)) return { ok: false, reason: 'IP address, not a hostname' };
  if (NOT_ENTRIES.has(name)) return { ok: false, reason: `"${name}" is a local name, not a site` };
  if (name.length > 253) return { ok: false, reason: 'name longer than 253 characters' };
  const labels = name.split('.');
  if (labels.length < 2) return { ok: false, reason: 'a bare top-level name is never an entry' };
  // The reason does not quote the label: lists can be sensitive, build logs are not private.
  for (const label of labels) {
    if (label === '') return { ok: false, reason: 'empty label (two dots in a row)' };
    if (!LABEL.test(label)) {
      return {
        ok: false,
        reason: 'invalid label (1 to 63 letters, digits, - or _; no - at either end)',
      };
    }
  }
  return { ok: true, host: name };
}

/** The host and each parent down to two labels: a.b.example.com, b.example.com, example.com. */
export function hostSuffixes(host: string): string[] {
  const labels = host.split('.');
  const suffixes: string[] = [];
  for (let i = 0; i <= labels.length - 2; i++) suffixes.push(labels.slice(i).join('.'));
  return suffixes;
}
