/** The console's local rules: matching, the abuse exception, YAML edits that keep comments, checks. */
import { chown, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { StaffAccounts } from '../../resolver/console/accounts.js';
import { ConfigEditor } from '../../resolver/console/config-file.js';
import { type LocalRule, LocalRules } from '../../resolver/console/local-rules.js';
import { addRule, hostOf, removeRule } from '../../resolver/console/rule-edits.js';
import type { Policy } from '../../resolver/serve/context.js';

const at = '2026-11-30T10:00:00.000Z';
const rule = (name: string, action: 'allow' | 'block', category = 'adult'): LocalRule => ({
  name,
  action,
  category,
  note: '',
  addedBy: 'anna',
  addedAt: at,
});
const everything: Policy = { name: 'default', categories: undefined, safeSearch: true };
const abuseOnly: Policy = { name: 'staff', categories: new Set(['abuse']), safeSearch: false };
const open = { blocked: false } as const;

describe('LocalRules', () => {
  const rules = new LocalRules(
    [rule('games.example', 'block'), rule('adult.test', 'allow'), rule('abuse.test', 'allow')],
    new Set(['abuse']),
  );

  it('blocks a name and its subdomains, not its parent or a look-alike', () => {
    expect(rules.decide('www.games.example', everything, open)).toEqual({
      blocked: true,
      category: 'adult',
      listId: 'local',
    });
    expect(rules.decide('games.example', everything, open).blocked).toBe(true);
    expect(rules.decide('example', everything, open).blocked).toBe(false);
    expect(rules.decide('othergames.example', everything, open).blocked).toBe(false);
  });

  it('blocks only for policies that block its category', () => {
    expect(rules.decide('games.example', abuseOnly, open).blocked).toBe(false);
  });

  it("lifts a list's adult block but never one answered as Blocked (abuse)", () => {
    const adult = { blocked: true, category: 'adult', listId: 'demo-adult' } as const;
    const abuse = { blocked: true, category: 'abuse', listId: 'demo-abuse' } as const;
    expect(rules.decide('www.adult.test', everything, adult)).toEqual({
      blocked: false,
      allowedBy: 'local',
    });
    expect(rules.decide('abuse.test', everything, abuse)).toBe(abuse);
    expect(rules.mayAllow('adult')).toBe(true);
    expect(rules.mayAllow('abuse')).toBe(false);
  });

  it('changes generation on replace, so cached verdicts are dropped', () => {
    const before = rules.generation;
    rules.replace([]);
    expect(rules.generation).not.toBe(before);
    expect(rules.decide('games.example', everything, open).blocked).toBe(false);
  });
});

describe('hostOf', () => {
  it('takes the host of a URL or a name, lower case, punycode', () => {
    expect(hostOf('https://WWW.Games.Example/path?q=1')).toEqual({
      ok: true,
      host: 'www.games.example',
    });
    expect(hostOf('games.example/path')).toEqual({ ok: true, host: 'games.example' });
    expect(hostOf('bücher.example')).toEqual({ ok: true, host: 'xn--bcher-kva.example' });
    expect(hostOf('192.0.2.1').ok).toBe(false);
    expect(hostOf('localhost').ok).toBe(false);
  });
});

describe('rule edits on the YAML document', () => {
  it('adds, replaces and removes entries and keeps comments', () => {
    const doc = parseDocument('# the café\nlisten: ["127.0.0.1:53"] # LAN only\n');
    addRule(doc, rule('games.example', 'block'));
    addRule(doc, rule('adult.test', 'allow'));
    addRule(doc, { ...rule('games.example', 'block'), note: 'changed' });
    let text = doc.toString();
    expect(text).toContain('# the café');
    expect(text).toContain('# LAN only');
    expect(text.match(/games\.example/g)).toHaveLength(1);
    expect(text).toContain('note: changed');
    // An allow is written without a category of its own.
    expect(text).toMatch(/- name: adult\.test\n\s+action: allow\n\s+note/);
    removeRule(doc, 'games.example');
    text = doc.toString();
    expect(text).not.toContain('games.example');
    expect(text).toContain('adult.test');
  });
});

describe('ConfigEditor', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kalkan-console-unit-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('writes a change that passes --check and refuses one that does not, naming the key', async () => {
    const path = join(dir, 'kalkan.yaml');
    const original = `# kept\ndataDir: ${join(dir, 'data')}\nstatus: 127.0.0.1:8053\n`;
    await writeFile(path, original);
    const editor = new ConfigEditor(path);
    const ok = await editor.edit((doc) => addRule(doc, rule('games.example', 'block')));
    expect(ok.ok).toBe(true);
    expect(await readFile(path, 'utf8')).toContain('# kept');
    const refused = await editor.edit((doc) => addRule(doc, rule('bad.example', 'block', 'abuse')));
    expect(refused).toEqual({
      ok: false,
      problems: [
        expect.stringMatching(/^localRules\[1\]\.category: "abuse" is the unit's category/),
      ],
    });
    const badName = await editor.edit((doc) => doc.set('refreshSeconds', 5));
    expect(badName.ok ? [] : badName.problems).toEqual([
      expect.stringMatching(/kalkan\.yaml:\d+: refreshSeconds: /),
    ]);
    expect(await readFile(path, 'utf8')).not.toContain('bad.example');
  });

  it('says it cannot write the file (and changes nothing) when the write fails', async () => {
    const path = join(dir, 'unwritable.yaml');
    await writeFile(path, `dataDir: ${join(dir, 'data')}\n`);
    // The temporary file's name taken by a folder: the write fails as on a read-only /etc.
    await mkdir(`${path}.console-${process.pid}`);
    const result = await new ConfigEditor(path).edit((doc) =>
      addRule(doc, rule('games.example', 'block')),
    );
    expect(result).toEqual({
      ok: false,
      problems: [
        expect.stringMatching(/unwritable\.yaml: cannot write \(EISDIR\): the resolver's user/),
      ],
    });
    expect(await readFile(path, 'utf8')).not.toContain('games.example');
  });
});

describe('StaffAccounts', () => {
  it('verifies the right password only, and unknown names as wrong', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kalkan-staff-unit-'));
    try {
      const accounts = new StaffAccounts(join(dir, 'console', 'staff.json'));
      await expect(accounts.add('anna', 'short')).rejects.toThrow(/at least 12/);
      await accounts.add('anna', 'correct horse battery staple');
      expect(await accounts.verify('anna', 'correct horse battery staple')).toBe(true);
      expect(await accounts.verify('anna', 'correct horse battery stapl')).toBe(false);
      expect(await accounts.verify('boris', 'correct horse battery staple')).toBe(false);
      expect(await accounts.names()).toEqual(['anna']);
      if (process.getuid?.() === 0) {
        // Added with sudo: the file goes to the data directory's owner (the service's user).
        await chown(dir, 4321, 4321);
        await accounts.add('boris', 'correct horse battery staple');
        expect((await stat(join(dir, 'console', 'staff.json'))).uid).toBe(4321);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('BoundedMap (console sessions)', () => {
  it('keeps at most its capacity, dropping the least recently used', async () => {
    const { BoundedMap } = await import('../../resolver/console/session-map.js');
    const map = new BoundedMap<string, number>(2);
    map.set('staff', 1);
    map.set('visitor-1', 2);
    map.get('staff'); // used: stays
    map.set('visitor-2', 3);
    expect([...map.keys()].sort()).toEqual(['staff', 'visitor-2']);
  });
});

describe('review requests', () => {
  it('are a report kind of their own, sealed like any report; plain reports carry no kind', async () => {
    const { newReport, parseReport } = await import('../../reporting/schema.js');
    const review = newReport(
      { url: 'http://blocked.example/', category: 'other', kind: 'review_request', note: 'why' },
      { source: 'resolver' },
    );
    expect(review.kind).toBe('review_request');
    expect(parseReport(review)).toEqual(review);
    const report = newReport({ url: 'http://seen.example/', category: 'other' }, { source: 'cli' });
    expect(report).not.toHaveProperty('kind');
    expect(() => parseReport({ ...report, kind: 'complaint' })).toThrow(/kind/);
  });
});
