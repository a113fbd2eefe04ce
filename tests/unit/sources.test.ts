import { describe, expect, it } from 'vitest';
import { LineSplitter } from '../../blocklists/sources/lines.js';
import {
  detectFormat,
  formatProblem,
  type ListEntry,
  type ParsedSource,
  parseSource,
} from '../../blocklists/sources/parse.js';
import { ProblemSummary } from '../../blocklists/sources/problem-summary.js';

// Fixtures use only reserved names (RFC 2606 / 6761): *.test, *.example, *.invalid, example.*.

const block = (host: string): ListEntry => ({ kind: 'domain', host, allow: false });
const allow = (host: string): ListEntry => ({ kind: 'domain', host, allow: true });
const url = (expression: string): ListEntry => ({ kind: 'url', expression, allow: false });

/** Problems as `line: reason`, the way they read without the file name. */
function problemLines(parsed: ParsedSource): string[] {
  return parsed.problems.map((p) => `${p.line}: ${p.reason}`);
}

describe('detectFormat', () => {
  it('trusts the .csv, .rpz and .zone extensions', () => {
    expect(detectFormat('list.CSV', 'anything')).toBe('csv');
    expect(detectFormat('policy.rpz', 'a.example')).toBe('rpz');
    expect(detectFormat('db.zone', '')).toBe('rpz');
  });

  it('recognizes each format by its first content line, past shared comments', () => {
    expect(detectFormat('l.txt', '[Adblock Plus 2.0]\n||a.example^')).toBe('adblock');
    expect(detectFormat('l.txt', '! Title: test\n||a.example^')).toBe('adblock');
    expect(detectFormat('l.txt', '@@||a.example^')).toBe('adblock');
    expect(detectFormat('l.txt', '; zone\n$TTL 300\n')).toBe('rpz');
    expect(detectFormat('l.txt', 'a.example CNAME .')).toBe('rpz');
    expect(detectFormat('l.txt', '# hosts\n0.0.0.0 a.example')).toBe('hosts');
    expect(detectFormat('l.txt', '::1 localhost')).toBe('hosts');
    expect(detectFormat('l.txt', '\uFEFFid,"url",added\n1,http://a.example/x,2024')).toBe('csv');
    expect(detectFormat('l.txt', 'URL\nhttp://a.example/x')).toBe('csv');
    expect(detectFormat('l.txt', '# list\n*.a.example\nb.example')).toBe('domains');
    expect(detectFormat('l.txt', '')).toBe('domains');
  });

  it('does not count comment lines: a hosts file with a long header is a hosts file', () => {
    const header = Array.from({ length: 500 }, (_, i) => `# licence line ${i}`).join('\n');
    expect(detectFormat('hosts.txt', `${header}\n\n0.0.0.0 a.example\n`)).toBe('hosts');
    expect(detectFormat('l.txt', `${header.replaceAll('#', ';')}\n$ORIGIN rpz.example.`)).toBe(
      'rpz',
    );
  });

  it('is what parseSource uses when no format is given', () => {
    expect(parseSource('0.0.0.0 a.example', 'hosts').entries).toEqual([block('a.example')]);
    expect(parseSource('a.example CNAME .', 'x', 'domains').problems).toHaveLength(1);
  });
});

describe('formatProblem', () => {
  it('prints file:line: reason', () => {
    expect(formatProblem({ file: 'lists/a.txt', line: 7, reason: 'empty name' })).toBe(
      'lists/a.txt:7: empty name',
    );
  });

  it('names the file that was parsed', () => {
    const [problem] = parseSource('bad name', 'src/list.txt', 'domains').problems;
    expect(problem && formatProblem(problem)).toBe('src/list.txt:1: expected one domain per line');
  });
});

describe('plain domain lists', () => {
  const parse = (text: string) => parseSource(text, 'domains.txt', 'domains');

  it('reads one domain per line with comments, blank lines, case, dots and IDN', () => {
    const parsed = parse(
      '\uFEFF# a comment\r\n\r\nA.Example\r\nb.example.   # inline comment\r\n  .c.example  \n' +
        'bücher.example\n*.wild.example\n',
    );
    expect(parsed.entries).toEqual([
      block('a.example'),
      block('b.example'),
      block('c.example'),
      block('xn--bcher-kva.example'),
      block('wild.example'),
    ]);
    expect(parsed.problems).toEqual([]);
  });

  it('keeps the first of duplicates, in order', () => {
    const parsed = parse('b.example\na.example\nB.EXAMPLE.\n*.a.example\nc.example\n');
    expect(parsed.entries).toEqual([block('b.example'), block('a.example'), block('c.example')]);
  });

  it('reports bad lines with their line numbers and skips them', () => {
    const parsed = parse(
      [
        'ok.example', // 1
        '192.0.2.1', // 2
        'localhost', // 3
        'test', // 4
        'two names.example', // 5
        'a*.example', // 6
        'bad_-.example', // 7
        '::1', // 8
        'after.example', // 9
      ].join('\n'),
    );
    expect(parsed.entries).toEqual([block('ok.example'), block('after.example')]);
    expect(problemLines(parsed)).toEqual([
      '2: IP address, not a hostname',
      '3: "localhost" is a local name, not a site',
      '4: a bare top-level name is never an entry',
      '5: expected one domain per line',
      '6: a wildcard is supported only as a leading "*."',
      '7: invalid label (1 to 63 letters, digits, - or _; no - at either end)',
      '8: IP address, not a hostname',
    ]);
  });

  it('counts lines the same with CR, LF and CRLF endings', () => {
    expect(problemLines(parse('a.example\r\rtest'))).toEqual([
      '3: a bare top-level name is never an entry',
    ]);
  });
});

describe('hosts files', () => {
  const parse = (text: string) => parseSource(text, 'hosts', 'hosts');

  it('reads 0.0.0.0, 127.0.0.1, :: and ::1 lines with several names and inline comments', () => {
    const parsed = parse(
      [
        '# blocklist',
        '0.0.0.0 a.example',
        '127.0.0.1\tB.Example.  c.example # two names',
        ':: d.example',
        '::1 e.example',
        '0.0.0.0 a.example',
      ].join('\r\n'),
    );
    expect(parsed.entries).toEqual([
      block('a.example'),
      block('b.example'),
      block('c.example'),
      block('d.example'),
      block('e.example'),
    ]);
    expect(parsed.problems).toEqual([]);
  });

  it('skips the usual hosts-file boilerplate silently', () => {
    const parsed = parse(
      [
        '127.0.0.1 localhost localhost.localdomain',
        '255.255.255.255 broadcasthost',
        '::1 localhost ip6-localhost ip6-loopback',
        'fe80::1%lo0 localhost',
        'ff02::1 ip6-allnodes',
        'ff02::2 ip6-allrouters',
        '0.0.0.0 0.0.0.0',
        '0.0.0.0 localhost a.example',
      ].join('\n'),
    );
    expect(parsed.entries).toEqual([block('a.example')]);
    expect(parsed.problems).toEqual([]);
  });

  it('reports invalid names, missing addresses and addresses that do not block', () => {
    const parsed = parse(
      [
        '0.0.0.0 192.0.2.1 ok.example', // 1
        '0.0.0.0 myhost', // 2
        'a.example', // 3
        '0.0.0.0', // 4
        '192.0.2.1 b.example', // 5
        '0.0.0.0 bad..example.invalid_-', // 6
      ].join('\n'),
    );
    expect(parsed.entries).toEqual([block('ok.example')]);
    expect(problemLines(parsed)).toEqual([
      '1: IP address, not a hostname',
      '2: a bare top-level name is never an entry',
      '3: expected an address such as 0.0.0.0 before the names',
      '4: an address without names',
      '5: not a blocking address (use 0.0.0.0, 127.0.0.1, :: or ::1)',
      '6: empty label (two dots in a row)',
    ]);
  });
});

describe('AdBlock-style lists', () => {
  const parse = (text: string) => parseSource(text, 'filters.txt', 'adblock');

  it('reads ||d^ as block and @@||d^ as allow, past the header and comments', () => {
    const parsed = parse(
      [
        '[Adblock Plus 2.0]',
        '! Title: test list',
        '# a comment too',
        '||A.Example^',
        '@@||safe.a.example^',
        '||bücher.example.^',
        '||a.example^',
        '@@||safe.a.example^',
      ].join('\r\n'),
    );
    expect(parsed.entries).toEqual([
      block('a.example'),
      allow('safe.a.example'),
      block('xn--bcher-kva.example'),
    ]);
    expect(parsed.problems).toEqual([]);
  });

  it('keeps a block and an allow for the same domain apart', () => {
    expect(parse('||a.example^\n@@||a.example^').entries).toEqual([
      block('a.example'),
      allow('a.example'),
    ]);
  });

  it('reports every rule that is not a plain domain rule as unsupported', () => {
    const parsed = parse(
      [
        '||a.example^$third-party', // 1
        '||a.example/path^', // 2
        'a.example##.banner', // 3
        '##.banner', // 4
        '/banner/*', // 5
        '||a.example', // 6
        '|http://a.example/', // 7
        '||localhost^', // 8
        '||192.0.2.1^', // 9
        'example.org#@#.ad', // 10
      ].join('\n'),
    );
    expect(parsed.entries).toEqual([]);
    expect(problemLines(parsed)).toEqual([
      '1: $third-party option not supported: the rule is skipped',
      '2: path or partial-name rule not supported: only ||domain^ and @@||domain^',
      '3: cosmetic filter not supported: only domain rules',
      '4: cosmetic filter not supported: only domain rules',
      '5: not a domain rule: only ||domain^, |name^ and their @@ exceptions are supported',
      '6: path or partial-name rule not supported: only ||domain^ and @@||domain^',
      '7: not a domain rule: only ||domain^, |name^ and their @@ exceptions are supported',
      '8: "localhost" is a local name, not a site',
      '9: IP address, not a hostname',
      '10: cosmetic filter not supported: only domain rules',
    ]);
  });

  it('reads AdGuard DNS rules: ^| anchors, @@ exceptions, hosts lines', () => {
    const parsed = parse(
      [
        '||a.example^|', // 1
        '@@||safe.a.example^|', // 2
        '0.0.0.0 b.example', // 3
        '@@||c.example^', // 4
      ].join('\n'),
    );
    expect(parsed.entries).toEqual([
      block('a.example'),
      allow('safe.a.example'),
      block('b.example'),
      allow('c.example'),
    ]);
    expect(parsed.problems).toEqual([]);
  });

  it('honours $important (with a note) and $badfilter, wherever the cancelled rule is', () => {
    const parsed = parse(
      [
        '||a.example^$important', // 1
        '||gone.example^$badfilter', // 2
        '||gone.example^', // 3
        '@@||kept.example^|$important', // 4
        '@@||off.example^$badfilter', // 5
        '@@||off.example^', // 6
        '||b.example^$important,badfilter', // 7
        '||b.example^$important', // 8
      ].join('\n'),
    );
    expect(parsed.entries).toEqual([block('a.example'), allow('kept.example')]);
    expect(parsed.problems).toEqual([]);
    expect(parsed.notes.map((n) => `${n.line}: ${n.reason}`)).toEqual([
      '1: $important read as a plain block: an allow entry for the name still wins',
      '8: $important read as a plain block: an allow entry for the name still wins',
    ]);
  });

  it('skips rules with client, tag, type or rewrite options, naming the option', () => {
    const parsed = parse(
      [
        '||a.example^$client=192.0.2.1', // 1
        '||b.example^$ctag=device_pc', // 2
        '||c.example^$dnstype=AAAA', // 3
        '||d.example^$denyallow=x.d.example', // 4
        '||e.example^$dnsrewrite=NXDOMAIN', // 5
        '||f.example^$secret.example', // 6
        '|g.example^', // 7
        '/ads[0-9]+/', // 8
        '||ok.example^', // 9
      ].join('\n'),
    );
    expect(parsed.entries).toEqual([
      { kind: 'exact', host: 'g.example', allow: false },
      block('ok.example'),
    ]);
    expect(problemLines(parsed)).toEqual([
      '1: $client option not supported: the rule is skipped',
      '2: $ctag option not supported: the rule is skipped',
      '3: $dnstype option not supported: the rule is skipped',
      '4: $denyallow option not supported: the rule is skipped',
      '5: $dnsrewrite option not supported: the rule is skipped',
      '6: an unknown option not supported: the rule is skipped',
      '8: regular-expression rule not supported',
    ]);
  });
});

describe('RPZ zone files', () => {
  const parse = (text: string) => parseSource(text, 'policy.rpz', 'rpz');

  it('reads relative and absolute names under $ORIGIN, skipping SOA, NS and $TTL', () => {
    const parsed = parse(
      [
        '$TTL 300',
        '$ORIGIN rpz.example.',
        '@ IN SOA ns.rpz.example. admin.rpz.example. (',
        '    2024010101 ; serial',
        '    3600 ; refresh',
        '    600 86400 300 )',
        '  IN NS ns.rpz.example.',
        'a.example CNAME .',
        '*.b.example 300 IN CNAME .',
        'C.Example.rpz.example. CNAME *.',
        'ok.a.example CNAME rpz-passthru.',
        'd.example IN CNAME rpz-drop.',
        'e.example CNAME walled-garden.example.',
        'a.example CNAME .',
      ].join('\r\n'),
    );
    expect(parsed.entries).toEqual([
      block('a.example'),
      block('b.example'),
      block('c.example'),
      allow('ok.a.example'),
      block('d.example'),
      block('e.example'),
    ]);
    expect(parsed.problems).toEqual([]);
  });

  it('takes the zone name from an absolute SOA owner when there is no $ORIGIN', () => {
    const parsed = parse(
      'rpz.example. 3600 IN SOA ns.example. admin.example. 1 3600 600 86400 300\n' +
        'a.example CNAME .\nb.example.rpz.example. CNAME .\n',
    );
    expect(parsed.entries).toEqual([block('a.example'), block('b.example')]);
  });

  it('reads names as written when the zone name is not in the file', () => {
    expect(parse('a.example CNAME .\nb.example. CNAME .\n').entries).toEqual([
      block('a.example'),
      block('b.example'),
    ]);
  });

  it('follows a change of $ORIGIN within the zone', () => {
    const parsed = parse(
      '$ORIGIN rpz.example.\n$ORIGIN example.rpz.example.\nsub CNAME .\n@ CNAME .\n',
    );
    expect(parsed.entries).toEqual([block('sub.example')]);
    expect(problemLines(parsed)).toEqual(['4: a bare top-level name is never an entry']);
  });

  it('reports what it cannot use, with line numbers', () => {
    const parsed = parse(
      [
        '$ORIGIN rpz.example.', // 1
        'a.example A 192.0.2.1', // 2
        '32.1.2.0.192.rpz-ip CNAME .', // 3
        'other.example. CNAME .', // 4
        '@ CNAME .', // 5
        'b.example CNAME rpz-tcp-only.', // 6
        'c.example CNAME', // 7
        '$INCLUDE other.zone', // 8
        'localhost CNAME .', // 9
        'ok.example CNAME .', // 10
        'd.example CNAME ( .', // 11
      ].join('\n'),
    );
    expect(parsed.entries).toEqual([block('ok.example')]);
    expect(problemLines(parsed)).toEqual([
      '2: record type A not supported: only CNAME policies',
      '3: only query-name policies are supported (not rpz-ip, rpz-nsdname…)',
      '4: name outside the zone rpz.example',
      '5: a policy on the zone name itself',
      '6: rpz-tcp-only is not a block',
      '7: CNAME without a target',
      '8: $INCLUDE not supported',
      '9: "localhost" is a local name, not a site',
      '11: unclosed "(" in record',
    ]);
  });
});

describe('RPZ zone files that never close a "("', () => {
  it('give up on the record after 100 lines and read on', () => {
    const records = Array.from({ length: 150 }, (_, i) => `n${i}.example CNAME .`);
    const parsed = parseSource(['stray.example CNAME ( .', ...records].join('\n'), 'p.rpz', 'rpz');
    expect(problemLines(parsed)).toEqual(['1: unclosed "(" in record (100 lines)']);
    expect(parsed.entries).toHaveLength(51);
    expect(parsed.entries[0]).toEqual(block('n99.example'));
  });
});

describe('CSV URL lists', () => {
  const parse = (text: string) => parseSource(text, 'urls.csv', 'csv');

  it('reads the url column, quoted fields with commas and doubled quotes', () => {
    const parsed = parse(
      [
        '\uFEFFid,"URL",note',
        '1,http://a.example/path/page.html,plain',
        '2,"https://B.Example/x?q=1,2","has, a comma"',
        '3,"http://c.example/say ""hi""",quoted',
        '',
        '4,http://a.example/path/page.html#top,duplicate',
        '5,http://d.example/,whole site',
        '6,HTTPS://www.E.example,whole site',
        '7,http://192.0.2.1/x,ip address',
        '8,http://bücher.example/seite,idn',
      ].join('\r\n'),
    );
    expect(parsed.entries).toEqual([
      url('a.example/path/page.html'),
      url('b.example/x?q=1,2'),
      url('c.example/say%20"hi"'), // Safe Browsing leaves '"' unescaped
      block('d.example'),
      block('www.e.example'),
      url('192.0.2.1/x'),
      url('xn--bcher-kva.example/seite'),
    ]);
    expect(parsed.problems).toEqual([]);
  });

  it('reports rows it cannot use', () => {
    const parsed = parse(
      [
        'url,note', // 1
        ',empty', // 2
        'ftp://a.example/file,other scheme', // 3
        '"http://a.example/x,unclosed', // 4
        '"http://a.example/y"z,after quote', // 5
        'http://localhost/x,local', // 6
        'http:///x,no host', // 7
        'http://ok.example/page,fine', // 8
      ].join('\n'),
    );
    expect(parsed.entries).toEqual([url('ok.example/page')]);
    expect(problemLines(parsed)).toEqual([
      '2: no url in this row',
      '3: unsupported scheme "ftp"',
      '4: unclosed quote',
      '5: text after a closing quote',
      '6: "localhost" is a local name, not a site',
      '7: no host',
    ]);
  });

  it('needs a header row with a url column', () => {
    const parsed = parse('http://a.example/x\nhttp://b.example/y');
    expect(parsed.entries).toEqual([]);
    expect(problemLines(parsed)).toEqual(['1: the header row has no "url" column']);
    expect(parse('')).toEqual({ entries: [], problems: [], notes: [] });
  });
});

describe('LineSplitter', () => {
  const split = (chunks: string[]) => {
    const lines: string[] = [];
    const splitter = new LineSplitter((number, raw) => lines.push(`${number}:${raw}`));
    for (const chunk of chunks) splitter.push(chunk);
    splitter.end();
    return lines;
  };

  it('numbers lines the same however the text is cut into chunks', () => {
    const text = '\uFEFFa\r\nb\rc\n\nd\r\n\r\ne';
    const whole = split([text]);
    expect(whole).toEqual(['1:a', '2:b', '3:c', '4:', '5:d', '6:', '7:e']);
    for (let cut = 0; cut <= text.length; cut++) {
      expect(split([text.slice(0, cut), text.slice(cut)])).toEqual(whole);
    }
    expect(split([...text])).toEqual(whole);
  });

  it('keeps only a partial line between chunks, even in a file with CR endings only', () => {
    expect(split(['x\ry\r', '\nz\r', 'w'])).toEqual(['1:x', '2:y', '3:z', '4:w']);
  });
});

describe('ProblemSummary', () => {
  it('counts problems by reason, most frequent first, with the first three places', () => {
    const summary = new ProblemSummary();
    for (const line of [2, 5, 9, 11]) summary.add({ file: 'a.txt', line, reason: 'empty name' });
    summary.add({ file: 'b.txt', line: 1, reason: 'an address without names' });
    expect(summary.count).toBe(5);
    expect(summary.lines()).toEqual([
      '  4  empty name (a.txt:2, a.txt:5, a.txt:9, …)',
      '  1  an address without names (b.txt:1)',
    ]);
  });
});
