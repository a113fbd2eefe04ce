import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadBundle } from '../../blocklists/bundle/load.js';
import { domainExpression } from '../../blocklists/canonical/url.js';
import { Matcher } from '../../blocklists/matcher.js';
import { bundleBytes, loadedFromSource, testKey } from '../helpers/bundles.js';

const labelArb = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?$/);
const tldArb = fc.constantFrom('test', 'example', 'invalid');
const domainArb = fc
  .tuple(fc.array(labelArb, { minLength: 1, maxLength: 3 }), tldArb)
  .map(([labels, tld]) => [...labels, tld].join('.'));

async function matcherFor(block: string[], allow: string[] = [], cacheSize = 0) {
  const key = await testKey();
  const bytes = await bundleBytes({
    block: block.map(domainExpression),
    allow: allow.map(domainExpression),
  });
  return new Matcher([await loadBundle(bytes, { trustedKeys: [key.publicKey] })], { cacheSize });
}

describe('matcher', () => {
  it('matches every listed domain and any of its subdomains; not parents or unrelated names', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(domainArb, { minLength: 1, maxLength: 30 }),
        labelArb,
        domainArb,
        async (listed, sub, other) => {
          const matcher = await matcherFor(listed);
          for (const d of listed) {
            expect(matcher.match(d)).toEqual({
              blocked: true,
              category: 'abuse',
              listId: 'test-list',
            });
            expect(matcher.match(`${sub}.${d}`).blocked).toBe(true);
            expect(matcher.match(`${d.toUpperCase()}.`).blocked).toBe(true);
            const parent = d.split('.').slice(1).join('.');
            const parentListed = listed.some((l) => parent === l || parent.endsWith(`.${l}`));
            if (parent.includes('.') && !parentListed)
              expect(matcher.match(parent).blocked).toBe(false);
          }
          const otherListed = listed.some((l) => other === l || other.endsWith(`.${l}`));
          expect(matcher.match(other).blocked).toBe(otherListed);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('does not match a name that merely ends with a listed name', async () => {
    const matcher = await matcherFor(['abuse-demo.test']);
    expect(matcher.match('notabuse-demo.test').blocked).toBe(false);
    expect(matcher.match('abuse-demo.test.example').blocked).toBe(false);
  });

  it('lets allow entries override block entries, for the name and below it', async () => {
    await fc.assert(
      fc.asyncProperty(domainArb, labelArb, labelArb, async (blocked, allowedLabel, sub) => {
        const allowed = `${allowedLabel}.${blocked}`;
        const matcher = await matcherFor([blocked], [allowed]);
        expect(matcher.match(allowed)).toEqual({ blocked: false, allowedBy: 'test-list' });
        expect(matcher.match(`${sub}.${allowed}`).blocked).toBe(false);
        expect(matcher.match(blocked).blocked).toBe(true);
      }),
      { numRuns: 20 },
    );
  });

  it('lets an allow entry in one list override a block in another', async () => {
    const adult = await loadedFromSource('adult-site.test\n', 'adult.txt', {
      meta: { id: 'adult', category: 'adult' },
    });
    const allow = await loadedFromSource('@@||adult-site.test^\n', 'allow.txt', {
      meta: { id: 'school-allow', category: 'allow' },
    });
    const matcher = new Matcher([adult, allow]);
    expect(matcher.match('www.adult-site.test')).toEqual({
      blocked: false,
      allowedBy: 'school-allow',
    });
    expect(new Matcher([adult]).match('www.adult-site.test')).toEqual({
      blocked: true,
      category: 'adult',
      listId: 'adult',
    });
  });

  it('matches URL-level entries by path prefix and domain entries at any path', async () => {
    const urls = await loadedFromSource(
      'url\nhttp://host.test/gallery/\nhttps://other.example/page.html?id=5\n',
      'urls.csv',
      { meta: { id: 'urls' } },
    );
    const domains = await loadedFromSource('whole.invalid\n', 'domains.txt', {
      meta: { id: 'domains' },
    });
    const matcher = new Matcher([urls, domains]);
    expect(matcher.matchUrl('http://host.test/gallery/1.jpg').blocked).toBe(true);
    expect(matcher.matchUrl('https://www.host.test/gallery/').blocked).toBe(true);
    expect(matcher.matchUrl('http://host.test/other/').blocked).toBe(false);
    expect(matcher.matchUrl('http://host.test/').blocked).toBe(false);
    expect(matcher.match('host.test').blocked).toBe(false);
    expect(matcher.matchUrl('https://other.example/page.html?id=5').blocked).toBe(true);
    expect(matcher.matchUrl('https://other.example/page.html?id=6').blocked).toBe(false);
    expect(matcher.matchUrl('https://a.b.whole.invalid/x/y?z')).toEqual({
      blocked: true,
      category: 'abuse',
      listId: 'domains',
    });
    expect(matcher.matchUrl('HTTP://HOST.TEST/gallery/%31.jpg').blocked).toBe(true);
  });

  it('caches verdicts without changing them', async () => {
    const matcher = await matcherFor(['cached.test'], [], 2);
    for (let round = 0; round < 3; round++) {
      expect(matcher.match('x.cached.test').blocked).toBe(true);
      expect(matcher.match('y.example').blocked).toBe(false);
      expect(matcher.match('cached.test').blocked).toBe(true);
    }
  });

  it('never matches invalid names', async () => {
    const matcher = await matcherFor(['valid.test']);
    for (const name of ['', '.', 'test', '127.0.0.1', '[::1]', 'valid..test x'])
      expect(matcher.match(name).blocked).toBe(false);
  });
});

describe('exact-name entries', () => {
  const matcherOf = async (source: string) =>
    new Matcher([await loadedFromSource(source, 'l.txt')], { cacheSize: 0 });
  const verdicts = (matcher: Matcher, names: string[]) =>
    names.map((name) => `${name} ${matcher.match(name).blocked ? 'blocked' : 'allowed'}`);

  it('block the name itself, never its subdomains or parents', async () => {
    const matcher = await matcherOf('[Adblock Plus 2.0]\n|exact.test^\n');
    expect(verdicts(matcher, ['exact.test', 'EXACT.test.', 'www.exact.test', 'test'])).toEqual([
      'exact.test blocked',
      'EXACT.test. blocked',
      'www.exact.test allowed',
      'test allowed',
    ]);
    expect(matcher.matchUrl('https://exact.test/page').blocked).toBe(true);
    expect(matcher.matchUrl('https://a.exact.test/page').blocked).toBe(false);
  });

  it('lose to an allow entry for a parent; an exact allow exempts one name under a block', async () => {
    const matcher = await matcherOf(
      '[Adblock Plus 2.0]\n|n.open.test^\n@@||open.test^\n||p.test^\n@@|n.p.test^\n||d.test^\n@@|d.test^\n',
    );
    expect(
      verdicts(matcher, ['n.open.test', 'n.p.test', 'x.n.p.test', 'p.test', 'd.test', 'w.d.test']),
    ).toEqual([
      'n.open.test allowed',
      'n.p.test allowed',
      'x.n.p.test blocked',
      'p.test blocked',
      'd.test allowed',
      'w.d.test blocked',
    ]);
  });

  it('work across lists: an allow entry in one list beats an exact block in another', async () => {
    const exact = await loadedFromSource('[Adblock Plus 2.0]\n|n.shared.test^\n', 'a.txt');
    const allow = await loadedFromSource('[Adblock Plus 2.0]\n@@||shared.test^\n', 'b.txt', {
      meta: { id: 'other' },
    });
    expect(exact.exactNames).toBe(true);
    expect(allow.exactNames).toBe(false);
    expect(new Matcher([exact], { cacheSize: 0 }).match('n.shared.test').blocked).toBe(true);
    expect(new Matcher([exact, allow], { cacheSize: 0 }).match('n.shared.test').blocked).toBe(
      false,
    );
  });
});
