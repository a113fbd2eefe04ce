import { describe, expect, it } from 'vitest';
import { canonicalHostname, hostSuffixes } from '../../blocklists/canonical/hostname.js';
import {
  canonicalizeUrl,
  domainExpression,
  isIpAddress,
  urlEntryExpression,
  urlExpressions,
} from '../../blocklists/canonical/url.js';

/** The canonical URL without its scheme, which Safe Browsing expressions never include. */
function canonical(url: string): string {
  const result = canonicalizeUrl(url);
  if (!result.ok) return `error: ${result.reason}`;
  return result.host + result.path + (result.query === undefined ? '' : `?${result.query}`);
}

// Every example of Safe Browsing v4 "URLs and Hashing" (developers.google.com/safe-browsing/v4/
// urls-hashing), in its order. The documentation writes the inputs as raw bytes; the one with a
// raw 0x80 byte is listed separately below, since a JavaScript string has no raw bytes.
const DOCUMENTED: [input: string, expected: string][] = [
  ['http://host/%25%32%35', 'http://host/%25'],
  ['http://host/%25%32%35%25%32%35', 'http://host/%25%25'],
  ['http://host/%2525252525252525', 'http://host/%25'],
  ['http://host/asdf%25%32%35asd', 'http://host/asdf%25asd'],
  ['http://host/%%%25%32%35asd%%', 'http://host/%25%25%25asd%25%25'],
  ['http://www.google.com/', 'http://www.google.com/'],
  [
    'http://%31%36%38%2e%31%38%38%2e%39%39%2e%32%36/%2E%73%65%63%75%72%65/%77%77%77%2E%65%62%61%79%2E%63%6F%6D/',
    'http://168.188.99.26/.secure/www.ebay.com/',
  ],
  [
    'http://195.127.0.11/uploads/%20%20%20%20/.verify/.eBaysecure=updateuserdataxplimnbqmn-xplmvalidateinfoswqpcmlx=hgplmcx/',
    'http://195.127.0.11/uploads/%20%20%20%20/.verify/.eBaysecure=updateuserdataxplimnbqmn-xplmvalidateinfoswqpcmlx=hgplmcx/',
  ],
  [
    'http://host%23.com/%257Ea%2521b%2540c%2523d%2524e%25f%255E00%252611%252A22%252833%252944_55%252B',
    'http://host%23.com/~a!b@c%23d$e%25f^00&11*22(33)44_55+',
  ],
  ['http://3279880203/blah', 'http://195.127.0.11/blah'],
  ['http://www.google.com/blah/..', 'http://www.google.com/'],
  ['www.google.com/', 'http://www.google.com/'],
  ['www.google.com', 'http://www.google.com/'],
  ['http://www.evil.com/blah#frag', 'http://www.evil.com/blah'],
  ['http://www.GOOgle.com/', 'http://www.google.com/'],
  ['http://www.google.com.../', 'http://www.google.com/'],
  ['http://www.google.com/foo\tbar\rbaz\n2', 'http://www.google.com/foobarbaz2'],
  ['http://www.google.com/q?', 'http://www.google.com/q?'],
  ['http://www.google.com/q?r?', 'http://www.google.com/q?r?'],
  ['http://www.google.com/q?r?s', 'http://www.google.com/q?r?s'],
  ['http://evil.com/foo#bar#baz', 'http://evil.com/foo'],
  ['http://evil.com/foo;', 'http://evil.com/foo;'],
  ['http://evil.com/foo?bar;', 'http://evil.com/foo?bar;'],
  ['http://notrailingslash.com', 'http://notrailingslash.com/'],
  ['http://www.gotaport.com:1234/', 'http://www.gotaport.com/'],
  ['  http://www.google.com/  ', 'http://www.google.com/'],
  ['http:// leadingspace.com/', 'http://%20leadingspace.com/'],
  ['http://%20leadingspace.com/', 'http://%20leadingspace.com/'],
  ['%20leadingspace.com/', 'http://%20leadingspace.com/'],
  ['https://www.securesite.com/', 'https://www.securesite.com/'],
  ['http://host.com/ab%23cd', 'http://host.com/ab%23cd'],
  ['http://host.com//twoslashes?more//slashes', 'http://host.com/twoslashes?more//slashes'],
];

describe('canonicalizeUrl', () => {
  it.each(DOCUMENTED)('documented example %j', (input, expected) => {
    expect(canonical(input)).toBe(expected.replace(/^https?:\/\//, ''));
  });

  it('escapes raw bytes that are not UTF-8 (documented "http://\\x01\\x80.com/")', () => {
    // The documented input holds the raw bytes 0x01 0x80; a string can carry 0x80 only escaped.
    expect(canonical('http://\x01%80.com/')).toBe('%01%80.com/');
    // A string's U+0080 is the UTF-8 bytes C2 80, as a browser would send it.
    expect(canonical('http://\x01\x80.com/')).toBe('%01%C2%80.com/');
  });

  it('reads every legal IPv4 spelling as dotted decimal', () => {
    expect(canonical('http://0x7f.1/')).toBe('127.0.0.1/');
    expect(canonical('http://0177.0.0.01/')).toBe('127.0.0.1/');
    expect(canonical('http://192.0.513/')).toBe('192.0.2.1/');
    expect(canonical('http://0xC0000201/')).toBe('192.0.2.1/');
    expect(canonical('http://192.0.2.1./')).toBe('192.0.2.1/');
    expect(canonical('http://256.0.0.1/')).toBe('256.0.0.1/'); // out of range: not an address
    expect(canonical('http://08.0.0.1/')).toBe('08.0.0.1/'); // 8 is no octal digit
  });

  it('normalizes bracketed IPv6', () => {
    expect(canonical('http://[2001:0DB8:0000::1]:8080/a')).toBe('[2001:db8::1]/a');
  });

  it('puts internationalized names in punycode, escaped or not', () => {
    expect(canonical('http://BÜCHER.example/')).toBe('xn--bcher-kva.example/');
    expect(canonical('http://b%C3%BCcher.example/')).toBe('xn--bcher-kva.example/');
  });

  it('escapes non-ASCII path characters as their UTF-8 bytes', () => {
    expect(canonical('http://example.com/caf\u00e9')).toBe('example.com/caf%C3%A9');
  });

  it('drops credentials and any port', () => {
    expect(canonical('https://user:pass@Example.COM:443/a/./b/../c')).toBe('example.com/a/c');
    expect(canonical('http://example.com:80')).toBe('example.com/');
    expect(canonical('http://example.com?q=1')).toBe('example.com/?q=1');
  });

  it('keeps . and .. inside segment names and the directory slash', () => {
    expect(canonical('http://example.com/a/..b/.c/')).toBe('example.com/a/..b/.c/');
    expect(canonical('http://example.com/a/b/.')).toBe('example.com/a/b/');
    expect(canonical('http://example.com/../../x')).toBe('example.com/x');
  });

  it('refuses what is not a web URL', () => {
    expect(canonicalizeUrl('')).toEqual({ ok: false, reason: 'empty URL' });
    expect(canonicalizeUrl('ftp://example.com/')).toEqual({
      ok: false,
      reason: 'unsupported scheme "ftp"',
    });
    expect(canonicalizeUrl('http:///path')).toEqual({ ok: false, reason: 'no host' });
    expect(canonicalizeUrl('http://example.com:http/')).toEqual({
      ok: false,
      reason: 'invalid port',
    });
  });
});

describe('urlExpressions', () => {
  it('forms the documented expressions for http://a.b.c/1/2.html?param=1', () => {
    expect(urlExpressions('http://a.b.c/1/2.html?param=1')).toEqual([
      'a.b.c/1/2.html?param=1',
      'a.b.c/1/2.html',
      'a.b.c/',
      'a.b.c/1/',
      'b.c/1/2.html?param=1',
      'b.c/1/2.html',
      'b.c/',
      'b.c/1/',
    ]);
  });

  it('takes only the last five host components, as documented for a.b.c.d.e.f.g', () => {
    expect(urlExpressions('http://a.b.c.d.e.f.g/1.html')).toEqual([
      'a.b.c.d.e.f.g/1.html',
      'a.b.c.d.e.f.g/',
      'c.d.e.f.g/1.html',
      'c.d.e.f.g/',
      'd.e.f.g/1.html',
      'd.e.f.g/',
      'e.f.g/1.html',
      'e.f.g/',
      'f.g/1.html',
      'f.g/',
    ]);
  });

  it('walks no suffixes of an IP address, as documented for http://1.2.3.4/1/', () => {
    expect(urlExpressions('http://1.2.3.4/1/')).toEqual(['1.2.3.4/1/', '1.2.3.4/']);
  });

  it('forms at most 5 hosts × 6 paths', () => {
    const expressions = urlExpressions('http://a.b.c.d.e.f.g.example/1/2/3/4/5/6.html?x=y');
    expect(expressions).toHaveLength(30);
    expect(expressions.slice(0, 6)).toEqual([
      'a.b.c.d.e.f.g.example/1/2/3/4/5/6.html?x=y',
      'a.b.c.d.e.f.g.example/1/2/3/4/5/6.html',
      'a.b.c.d.e.f.g.example/',
      'a.b.c.d.e.f.g.example/1/',
      'a.b.c.d.e.f.g.example/1/2/',
      'a.b.c.d.e.f.g.example/1/2/3/',
    ]);
    expect(new Set(expressions).size).toBe(30);
  });

  it('keeps an empty query as documented ("q?") and has nothing for an unusable URL', () => {
    expect(urlExpressions('http://example.com/q?')).toEqual([
      'example.com/q?',
      'example.com/q',
      'example.com/',
    ]);
    expect(urlExpressions('ftp://example.com/')).toEqual([]);
  });
});

describe('entry expressions', () => {
  it('is host + path + query of the canonical URL', () => {
    expect(urlEntryExpression('HTTP://Sub.Example.com/A/./b?x=1#top')).toEqual({
      ok: true,
      host: 'sub.example.com',
      expression: 'sub.example.com/A/b?x=1',
    });
    expect(urlEntryExpression('http://example.com/q?')).toEqual({
      ok: true,
      host: 'example.com',
      expression: 'example.com/q',
    });
  });

  it('makes a whole-site URL the same expression as the domain entry', () => {
    const entry = urlEntryExpression('https://example.org');
    expect(entry.ok && entry.expression).toBe(domainExpression('example.org'));
    expect(urlExpressions('http://www.example.org/page')).toContain(
      domainExpression('example.org'),
    );
  });

  it('passes on why a URL is unusable', () => {
    expect(urlEntryExpression('ftp://example.com/')).toEqual({
      ok: false,
      reason: 'unsupported scheme "ftp"',
    });
  });

  it('tells IP hosts from names', () => {
    expect(isIpAddress('192.0.2.1')).toBe(true);
    expect(isIpAddress('[2001:db8::1]')).toBe(true);
    expect(isIpAddress('example.com')).toBe(false);
  });
});

describe('canonicalHostname', () => {
  it('lower-cases, strips dots and converts IDN to punycode', () => {
    expect(canonicalHostname('.WWW.Example.COM.')).toEqual({ ok: true, host: 'www.example.com' });
    expect(canonicalHostname('bücher.example')).toEqual({
      ok: true,
      host: 'xn--bcher-kva.example',
    });
  });

  it('refuses names a browser reads as IPv4 addresses', () => {
    for (const name of ['192.0.2.1', '0x7f.1', 'example.123', 'example.0x1f', '１９２.０.２.１']) {
      expect(canonicalHostname(name)).toEqual({ ok: false, reason: 'IP address, not a hostname' });
    }
  });

  it('refuses local names, bare top-level names and IPv6', () => {
    expect(canonicalHostname('localhost').ok).toBe(false);
    expect(canonicalHostname('test').ok).toBe(false);
    expect(canonicalHostname('::1').ok).toBe(false);
    expect(canonicalHostname('bad_-.example.com').ok).toBe(false);
  });

  it('lists the host and its parents down to two labels', () => {
    expect(hostSuffixes('a.b.example.com')).toEqual([
      'a.b.example.com',
      'b.example.com',
      'example.com',
    ]);
  });
});
