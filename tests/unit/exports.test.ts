import { describe, expect, it } from 'vitest';
import { allResourceTypes, dnrRules } from '../../blocklists/exports/dnr.js';
import { exportList } from '../../blocklists/exports/index.js';
import { ExportError, readableList } from '../../blocklists/exports/readable.js';
import { rpzPolicy } from '../../blocklists/exports/rpz.js';
import { type ListEntry, parseSource, type SourceFormat } from '../../blocklists/sources/parse.js';
import { loadedFromSource } from '../helpers/bundles.js';

const key = (e: ListEntry) =>
  `${e.allow ? 'allow' : 'block'} ${e.kind === 'url' ? e.expression : `${e.kind} ${e.host}`}`;
const entrySet = (entries: ListEntry[]) => new Set(entries.map(key));

/** Each source format, built into a plaintext bundle, exported and read back gives the same entries. */
const roundTrips: {
  name: string;
  source: string;
  file: string;
  via: 'rpz' | 'hosts' | 'adblock';
  as: SourceFormat;
}[] = [
  {
    name: 'plain domains via RPZ',
    file: 'list.txt',
    via: 'rpz',
    as: 'rpz',
    source: 'one.test\nTwo.Example.\n*.three.invalid\n',
  },
  {
    name: 'hosts via hosts',
    file: 'list.hosts',
    via: 'hosts',
    as: 'hosts',
    source: '0.0.0.0 one.test two.example\n127.0.0.1 three.invalid # c\n',
  },
  {
    name: 'AdBlock with allow via AdBlock',
    file: 'list.txt',
    via: 'adblock',
    as: 'adblock',
    source: '[Adblock Plus 2.0]\n||one.test^\n||two.example^\n@@||ok.two.example^\n',
  },
  {
    name: 'RPZ with passthru via RPZ',
    file: 'list.rpz',
    via: 'rpz',
    as: 'rpz',
    source:
      '$ORIGIN rpz.test.\n@ SOA ns hostmaster 1 1 1 1 1\none.test CNAME .\n*.one.test CNAME .\nok.one.test CNAME rpz-passthru.\n',
  },
  {
    name: 'CSV URL list (domain-level rows) via RPZ',
    file: 'urls.csv',
    via: 'rpz',
    as: 'rpz',
    source: 'url,added\nhttp://one.test/,2026-01-01\n"https://two.example/",x\n',
  },
];

describe('exports', () => {
  for (const trip of roundTrips) {
    it(`round-trips ${trip.name}`, async () => {
      const original = parseSource(trip.source, trip.file);
      expect(original.problems).toEqual([]);
      const bundle = await loadedFromSource(trip.source, trip.file, { plaintext: true });
      const exported = exportList(bundle, trip.via, { zone: 'rpz.test' }).text;
      const back = parseSource(exported, `exported.${trip.via}`, trip.as);
      expect(back.problems).toEqual([]);
      expect(entrySet(back.entries)).toEqual(entrySet(original.entries));
    });
  }

  it('keeps URL-level entries in AdBlock and DNR, and says DNS formats leave them out', async () => {
    const bundle = await loadedFromSource('url\nhttp://host.test/gallery/\n', 'urls.csv', {
      plaintext: true,
    });
    expect(exportList(bundle, 'adblock').text).toContain('||host.test/gallery/');
    expect(exportList(bundle, 'dnsmasq').text).toContain('1 URL-level entries left out');
    const rules = dnrRules(readableList(bundle));
    expect(rules.map((r) => r.condition.urlFilter)).toContain('||host.test/gallery/');
  });

  it('writes each DNS format with its own syntax', async () => {
    const bundle = await loadedFromSource(
      '[Adblock Plus 2.0]\n||one.test^\n@@||ok.one.test^\n',
      'l.txt',
      { plaintext: true },
    );
    expect(exportList(bundle, 'dnsmasq').text).toMatch(/^address=\/one\.test\/$/m);
    expect(exportList(bundle, 'dnsmasq').text).toMatch(/^server=\/ok\.one\.test\/#$/m);
    expect(exportList(bundle, 'unbound').text).toMatch(
      /^ {2}local-zone: "one\.test\." always_nxdomain$/m,
    );
    expect(exportList(bundle, 'unbound').text).toMatch(
      /^ {2}local-zone: "ok\.one\.test\." always_transparent$/m,
    );
    const rpz = exportList(bundle, 'rpz', { zone: 'kalkan.rpz.test' }).text;
    expect(rpz).toMatch(/^\$ORIGIN kalkan\.rpz\.test\.$/m);
    expect(rpz).toMatch(/^@ SOA ns\.kalkan\.rpz\.test\. hostmaster\.kalkan\.rpz\.test\. 1 /m);
    expect(rpz).toMatch(/^\*\.one\.test CNAME \.$/m);
    expect(rpz).toMatch(/^ok\.one\.test CNAME rpz-passthru\.$/m);
  });

  it('packs DNR domains a bounded number per rule, allow above block', async () => {
    const names = Array.from({ length: 2500 }, (_, i) => `||site${i}.test^`).join('\n');
    const source = `[Adblock Plus 2.0]\n${names}\n@@||ok.site1.test^\n`;
    const bundle = await loadedFromSource(source, 'many.txt', { plaintext: true });
    const rules = dnrRules(readableList(bundle), {
      domainsPerRule: 1000,
      blockPagePath: '/block.html',
    });
    const block = rules.filter((r) => r.action.type === 'redirect');
    expect(block.map((r) => r.condition.requestDomains?.length)).toEqual([1000, 1000, 500]);
    expect(block.every((r) => r.condition.resourceTypes?.join() === 'main_frame')).toBe(true);
    expect(rules.filter((r) => r.action.type === 'block')).toHaveLength(3);
    const allow = rules.filter((r) => r.action.type === 'allow');
    expect(allow[0]?.priority).toBeGreaterThan(block[0]?.priority ?? Infinity);
    expect(new Set(rules.map((r) => r.id)).size).toBe(rules.length);
  });

  it('names only the request types Firefox knows in Firefox rules', async () => {
    const bundle = await loadedFromSource('one.test\n@@two.one.test\n', 'l.txt', {
      plaintext: true,
    });
    const types = (browser: 'chrome' | 'firefox') =>
      new Set(
        dnrRules(readableList(bundle), { browser }).flatMap((r) => r.condition.resourceTypes),
      );
    expect(types('chrome')).toContain('webtransport');
    expect(types('firefox')).not.toContain('webtransport');
    expect(types('firefox')).not.toContain('webbundle');
    expect([...types('firefox')].sort()).toEqual([...allResourceTypes('firefox')].sort());
  });

  it('leaves out block entries an allow entry for the name or a parent overrides, with a count', async () => {
    const bundle = await loadedFromSource(
      '[Adblock Plus 2.0]\n||both.test^\n@@||both.test^\n||a.open.test^\n@@||open.test^\n' +
        '||blocked.test^\n@@||ok.blocked.test^\n||deep.ok.blocked.test^\n',
      'l.txt',
      { plaintext: true },
    );
    const list = readableList(bundle);
    expect(list.blockDomains).toEqual(['blocked.test']);
    expect(list.shadowedBlocks).toBe(3);
    const rpz = exportList(bundle, 'rpz', { zone: 'kalkan.rpz.test' });
    // One CNAME per owner: BIND refuses a zone with two.
    const owners = rpz.text
      .split('\n')
      .filter((l) => / CNAME /.test(l))
      .map((l) => l.split(' ')[0]);
    expect(new Set(owners).size).toBe(owners.length);
    expect(rpz.text).toMatch(/^both\.test CNAME rpz-passthru\.$/m);
    expect(rpz.text).toMatch(/^@ NS localhost\.$/m);
    expect(rpz.warnings).toEqual([
      '3 block entries left out: an allow entry for the name or a parent wins',
    ]);
    const hosts = exportList(bundle, 'hosts');
    expect(hosts.text.split('\n').filter((l) => l.startsWith('0.0.0.0'))).toEqual([
      '0.0.0.0 blocked.test',
    ]);
    expect(hosts.warnings).toContain(
      '1 blocked domains are blocked by exact name only: hosts files cannot cover subdomains',
    );
    expect(exportList(bundle, 'unbound').text).not.toMatch(
      /"(both|a\.open)\.test\." always_nxdomain/,
    );
    expect(exportList(bundle, 'dnsmasq').text).not.toMatch(/^address=\/(both|a\.open)\.test\/$/m);
  });

  it('names every RPZ owner between a blocked name and an allowed one below it, once', async () => {
    const bundle = await loadedFromSource(
      '[Adblock Plus 2.0]\n||top.test^\n||x.c.top.test^\n||b.c.top.test^\n@@||a.b.c.top.test^\n@@||d.a.b.c.top.test^\n',
      'l.txt',
      { plaintext: true },
    );
    const { list, filled } = rpzPolicy(readableList(bundle));
    // x.c and b.c add nothing under top.test; but b.c and c would be empty non-terminals,
    // which a wildcard never matches in BIND, so they are named again.
    expect(list.blockDomains.sort()).toEqual(['b.c.top.test', 'c.top.test', 'top.test']);
    expect(list.allowDomains).toEqual(['a.b.c.top.test', 'd.a.b.c.top.test']);
    expect(filled).toBe(2);
    const text = exportList(bundle, 'rpz', { zone: 'kalkan.rpz.test' }).text;
    expect(text).toMatch(/^\*\.c\.top\.test CNAME \.$/m);
    expect(text).not.toMatch(/^x\.c\.top\.test /m);
  });

  it('states exact-name entries in each format, or counts what it cannot express', async () => {
    const bundle = await loadedFromSource(
      '[Adblock Plus 2.0]\n||p.test^\n@@|n.p.test^\n|e.test^\n||d.test^\n@@|d.test^\n' +
        '|x.open.test^\n@@||open.test^\n',
      'l.txt',
      { plaintext: true },
    );
    const list = readableList(bundle);
    expect(list.blockExact).toEqual(['e.test']);
    expect(list.allowExact.sort()).toEqual(['d.test', 'n.p.test']);
    expect(list.shadowedBlocks).toBe(1);
    const rpz = exportList(bundle, 'rpz', { zone: 'kalkan.rpz.test' }).text;
    const records = rpz.split('\n').filter((l) => / CNAME /.test(l));
    expect(records.sort()).toEqual(
      [
        '*.d.test CNAME .',
        '*.n.p.test CNAME .',
        '*.open.test CNAME rpz-passthru.',
        '*.p.test CNAME .',
        'd.test CNAME rpz-passthru.',
        'e.test CNAME .',
        'n.p.test CNAME rpz-passthru.',
        'open.test CNAME rpz-passthru.',
        'p.test CNAME .',
      ].sort(),
    );
    const hosts = exportList(bundle, 'hosts').text;
    expect(hosts.split('\n').filter((l) => l.startsWith('0.0.0.0'))).toEqual([
      '0.0.0.0 p.test',
      '0.0.0.0 e.test',
    ]);
    const adblock = exportList(bundle, 'adblock').text;
    expect(adblock).toMatch(/^\|e\.test\^$/m);
    expect(adblock).toMatch(/^@@\|n\.p\.test\^$/m);
    const back = parseSource(adblock, 'back.txt', 'adblock');
    expect(back.problems).toEqual([]);
    expect(back.entries).toContainEqual({ kind: 'exact', host: 'e.test', allow: false });
    for (const format of ['dnsmasq', 'unbound'] as const) {
      const exported = exportList(bundle, format);
      expect(exported.warnings).toContain(
        `3 exact-name entries left out: ${format} cannot match a name without its subdomains`,
      );
      expect(exported.text).not.toMatch(/\be\.test/);
    }
    const rules = dnrRules(list);
    const filters = (type: string) =>
      rules
        .filter((r) => r.action.type === type && r.condition.urlFilter)
        .map((r) => r.condition.urlFilter);
    expect(filters('block')).toEqual(['|http://e.test^', '|https://e.test^']);
    expect(filters('allow')).toEqual(
      expect.arrayContaining(['|http://n.p.test^', '|https://d.test^']),
    );
  });

  it('refuses to export a hashed-only list, saying why', async () => {
    const bundle = await loadedFromSource('secret.test\n', 'abuse.txt');
    expect(() => exportList(bundle, 'hosts')).toThrow(ExportError);
    expect(() => exportList(bundle, 'rpz')).toThrow(/hashed-only/);
  });
});
