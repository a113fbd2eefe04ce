/**
 * `kalkan lists` as a publisher runs it, on source files these tests write themselves (reserved
 * names only): formats, sniffing past long headers, AdGuard exceptions, builds that must fail,
 * key and export file safety, lookups over several lists, usage errors and --help everywhere.
 */
import { mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runKalkan as kalkan } from '../helpers/kalkan-process.js';

let dir: string;
const path = (name: string) => join(dir, name);
const mode = async (file: string) => (await stat(file)).mode & 0o777;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kalkan-lists-sources-'));
  expect((await kalkan(['lists', 'keygen', '--out', path('keys')])).code).toBe(0);
});

const build = (sources: string[], ...extra: string[]) =>
  kalkan([
    'lists',
    'build',
    ...sources.map(path),
    '--id',
    'test',
    '--category',
    'abuse',
    '--sequence',
    '1',
    '--key',
    path('keys/publisher.key'),
    '--created',
    '2026-11-01T00:00:00Z',
    // Valid long after the date above, so the lists read the same whenever the tests run.
    '--expires-days',
    '3650',
    ...extra,
  ]);

const lookup = async (name: string, ...lists: string[]) => {
  const run = await kalkan([
    'lists',
    'lookup',
    name,
    ...lists.flatMap((l) => ['--list', path(l)]),
    '--trust',
    path('keys/publisher.pub'),
  ]);
  expect(run.stderr).toBe('');
  return run.stdout.trim();
};

describe('kalkan lists build: formats', () => {
  it('reads a hosts file with a comment header longer than any sniffing window as hosts', async () => {
    const header = Array.from({ length: 2000 }, (_, i) => `# licence and credits, line ${i}`);
    await writeFile(
      path('long-header.txt'),
      [...header, '', '0.0.0.0 one.header.test', '127.0.0.1 two.header.example', ''].join('\n'),
    );
    const run = await build(['long-header.txt'], '-o', path('long-header.klb'));
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/2 block and 0 allow entries/);
    expect(await lookup('www.two.header.example', 'long-header.klb')).toBe('blocked abuse test');
  });

  it("keeps AdGuard's ^| exceptions: @@||name^| allows, ||name^| blocks", async () => {
    await writeFile(
      path('adguard.txt'),
      [
        '! Title: generated',
        '||blocked.adguard.test^|',
        '@@||fine.blocked.adguard.test^|',
        '||other.adguard.test^$important',
        '||gone.adguard.test^',
        '||gone.adguard.test^$badfilter',
        '||tagged.adguard.test^$ctag=device_phone',
        '',
      ].join('\n'),
    );
    const run = await build(['adguard.txt'], '--allow-bad-lines', '-o', path('adguard.klb'));
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/2 block and 1 allow entries/);
    expect(run.stderr).toMatch(/adguard\.txt:7: \$ctag option not supported: the rule is skipped/);
    expect(run.stderr).toMatch(/adguard\.txt:4: \$important read as a plain block/);
    expect(await lookup('x.blocked.adguard.test', 'adguard.klb')).toBe('blocked abuse test');
    expect(await lookup('a.fine.blocked.adguard.test', 'adguard.klb')).toBe('allowed');
    expect(await lookup('gone.adguard.test', 'adguard.klb')).toBe('allowed');
    expect(await lookup('tagged.adguard.test', 'adguard.klb')).toBe('allowed');
  });

  const SOURCES = {
    domains: 'a.domains.test\n*.b.domains.test\n',
    hosts: '0.0.0.0 a.hosts.test b.hosts.test\n',
    adblock: '||a.adblock.test^\n@@||ok.a.adblock.test^\n',
    rpz: '$ORIGIN rpz.test.\na.rpz-src.test CNAME .\nok.a.rpz-src.test CNAME rpz-passthru.\n',
    csv: 'url\nhttp://a.csv.test/\nhttp://b.csv.test/page\n',
  };
  const COUNTS = {
    domains: '2 block and 0 allow',
    hosts: '2 block and 0 allow',
    adblock: '1 block and 1 allow',
    rpz: '1 block and 1 allow',
    csv: '2 block and 0 allow',
  };

  for (const [format, text] of Object.entries(SOURCES)) {
    it(`--format ${format} (in any case) reads a ${format} source whatever its name`, async () => {
      await writeFile(path(`${format}-source.txt`), text);
      for (const spelling of [format, format.toUpperCase()]) {
        const run = await build(
          [`${format}-source.txt`],
          '--format',
          spelling,
          '-o',
          path(`${format}.klb`),
        );
        expect(run.stderr).toBe('');
        expect(run.code).toBe(0);
        expect(run.stdout).toContain(COUNTS[format as keyof typeof COUNTS]);
      }
    });
  }

  it('refuses an unknown --format, naming the valid ones', async () => {
    await writeFile(path('plain.txt'), 'a.plain.test\n');
    const run = await build(['plain.txt'], '--format', 'bogus', '-o', path('bogus.klb'));
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      '--format must be one of domains, hosts, adblock, rpz, csv, got "bogus"',
    );
    await expect(stat(path('bogus.klb'))).rejects.toThrow();
  });
});

describe('kalkan lists build: builds that must not ship', () => {
  it('fails when the sources give no entry, unless --allow-empty', async () => {
    await writeFile(path('empty.txt'), '# nothing listed yet\n');
    const run = await build(['empty.txt'], '-o', path('empty.klb'));
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/the sources gave no entry \(an empty list needs --allow-empty\)/);
    await expect(stat(path('empty.klb'))).rejects.toThrow();
    const allowed = await build(['empty.txt'], '--allow-empty', '-o', path('empty.klb'));
    expect(allowed.code).toBe(0);
    expect(allowed.stdout).toMatch(/0 block and 0 allow entries/);
  });

  it('fails when a source has more bad lines than entries, and summarizes them by reason', async () => {
    // A hosts file forced to be read as a domain list: every line is bad.
    const lines = ['0.0.0.0 secret-one.bad.test', '0.0.0.0 secret-two.bad.test', 'ok.bad.test'];
    await writeFile(path('misread.txt'), `${lines.join('\n')}\n`);
    const run = await build(['misread.txt'], '--format', 'domains', '-o', path('misread.klb'));
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`${path('misread.txt')}:1: expected one domain per line`);
    expect(run.stderr).toMatch(/2 bad lines skipped, by reason:/);
    expect(run.stderr).toContain(
      `2  expected one domain per line (${path('misread.txt')}:1, ${path('misread.txt')}:2)`,
    );
    expect(run.stderr).toMatch(/more bad lines \(2\) than entries \(1\) read as domains/);
    await expect(stat(path('misread.klb'))).rejects.toThrow();
    const allowed = await build(
      ['misread.txt'],
      '--format',
      'domains',
      '--allow-bad-lines',
      '-o',
      path('misread.klb'),
    );
    expect(allowed.code).toBe(0);
    expect(allowed.stdout).toMatch(/1 block and 0 allow entries, \d+ bytes, 2 bad lines skipped/);
  });

  it('names file:line and the reason of a bad line, never its content', async () => {
    await writeFile(
      path('sensitive.txt'),
      [
        'first.sensitive.test',
        'bad_-.hiddenname.test',
        'x..otherhidden.test',
        'a b.thirdhidden.test',
        'second.sensitive.test',
        'third.sensitive.test',
        'fourth.sensitive.test',
      ].join('\n'),
    );
    const run = await build(['sensitive.txt'], '-o', path('sensitive.klb'));
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(`${path('sensitive.txt')}:2: invalid label`);
    expect(run.stderr).toContain(`${path('sensitive.txt')}:3: empty label`);
    expect(run.stderr).toContain(`${path('sensitive.txt')}:4: expected one domain per line`);
    expect(run.stderr).not.toMatch(/hidden|bad_-/);
  });
});

describe('kalkan lists keygen', () => {
  it('creates the directory 0700 and the secret key 0600', async () => {
    expect(await mode(path('keys'))).toBe(0o700);
    expect(await mode(path('keys/publisher.key'))).toBe(0o600);
  });

  it('refuses to replace a key; --force keeps the old one as a dated backup', async () => {
    const before = await readFile(path('keys/publisher.key'), 'utf8');
    const again = await kalkan(['lists', 'keygen', '--out', path('keys')]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already holds a publisher key.*--force/);
    expect(await readFile(path('keys/publisher.key'), 'utf8')).toBe(before);

    await kalkan(['lists', 'keygen', '--out', path('rotated')]);
    const old = await readFile(path('rotated/publisher.key'), 'utf8');
    const forced = await kalkan(['lists', 'keygen', '--out', path('rotated'), '--force']);
    expect(forced.code).toBe(0);
    const files = await readdir(path('rotated'));
    const backup = files.find((f) => /^publisher\.key\.\d{8}T\d{6}\.\d{3}Z\.bak$/.test(f));
    expect(backup).toBeDefined();
    expect(await readFile(path(`rotated/${backup}`), 'utf8')).toBe(old);
    expect(await mode(path(`rotated/${backup}`))).toBe(0o600);
    expect(await readFile(path('rotated/publisher.key'), 'utf8')).not.toBe(old);
    expect(await mode(path('rotated/publisher.key'))).toBe(0o600);
  });
});

describe('kalkan lists lookup and export', () => {
  it('looks a name up in several lists given after one --list or with several', async () => {
    await writeFile(path('first.txt'), 'first.lookup.test\n');
    await writeFile(path('second.txt'), '||second.lookup.test^\n');
    expect((await build(['first.txt'], '-o', path('first.klb'))).code).toBe(0);
    expect((await build(['second.txt'], '-o', path('second.klb'))).code).toBe(0);
    expect(await lookup('second.lookup.test', 'first.klb', 'second.klb')).toBe(
      'blocked abuse test',
    );
    const trailing = await kalkan([
      'lists',
      'lookup',
      'second.lookup.test',
      '--list',
      path('first.klb'),
      path('second.klb'),
      '--trust',
      path('keys/publisher.pub'),
    ]);
    expect(trailing.stdout.trim()).toBe('blocked abuse test');
    expect(await lookup('first.lookup.test', 'first.klb', 'second.klb')).toBe('blocked abuse test');
    expect(await lookup('third.lookup.test', 'first.klb', 'second.klb')).toBe('allowed');
  });

  it('verifies and describes several bundles in one run', async () => {
    const both = [path('first.klb'), path('second.klb')];
    const verify = await kalkan([
      'lists',
      'verify',
      ...both,
      '--trust',
      path('keys/publisher.pub'),
    ]);
    expect(verify.code).toBe(0);
    expect(verify.stdout.match(/valid: "test" sequence 1/g)).toHaveLength(2);
    const info = await kalkan(['lists', 'info', ...both]);
    expect(info.code).toBe(0);
    expect(info.stdout.match(/block entries:\s+1/g)).toHaveLength(2);
  });

  it('gives a usage error for an empty or invalid name', async () => {
    for (const name of ['', '   ', 'bad..name.test', 'http://']) {
      const run = await kalkan([
        'lists',
        'lookup',
        name,
        '--list',
        path('first.klb'),
        '--trust',
        path('keys/publisher.pub'),
      ]);
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(/kalkan lists: ".*" is (empty|not a)/);
    }
  });

  it('writes plaintext exports 0600 and warns that they are the list in clear', async () => {
    expect((await build(['hosts-source.txt'], '--plaintext', '-o', path('clear.klb'))).code).toBe(
      0,
    );
    await writeFile(path('clear.hosts'), 'old\n', { mode: 0o644 });
    const run = await kalkan([
      'lists',
      'export',
      path('clear.klb'),
      '--trust',
      path('keys/publisher.pub'),
      '--format',
      'hosts',
      '-o',
      path('clear.hosts'),
    ]);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/warning: .*clear\.hosts holds the list in clear/);
    expect(await mode(path('clear.hosts'))).toBe(0o600);
    expect(await readFile(path('clear.hosts'), 'utf8')).toMatch(/a\.hosts\.test/);
  });
});

describe('kalkan lists build --exact-hosts', () => {
  it('blocks each name of that hosts file exactly, while other sources still cover subdomains', async () => {
    await writeFile(path('exact.hosts'), '# exact names\n0.0.0.0 only.exact.test www.both.test\n');
    await writeFile(path('cover.txt'), 'covered.test\n');
    const run = await build(
      ['cover.txt'],
      '--exact-hosts',
      path('exact.hosts'),
      '--plaintext',
      '-o',
      path('exact.klb'),
    );
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(/3 block and 0 allow entries/);
    expect(await lookup('only.exact.test', 'exact.klb')).toBe('blocked abuse test');
    expect(await lookup('ONLY.exact.test.', 'exact.klb')).toBe('blocked abuse test');
    expect(await lookup('www.only.exact.test', 'exact.klb')).toBe('allowed');
    expect(await lookup('exact.test', 'exact.klb')).toBe('allowed');
    expect(await lookup('www.both.test', 'exact.klb')).toBe('blocked abuse test');
    expect(await lookup('both.test', 'exact.klb')).toBe('allowed');
    expect(await lookup('www.covered.test', 'exact.klb')).toBe('blocked abuse test');
    const exported = await kalkan([
      'lists',
      'export',
      path('exact.klb'),
      '--trust',
      path('keys/publisher.pub'),
      '--format',
      'rpz',
      '--zone',
      'exact.rpz.test',
      '-o',
      path('exact.rpz'),
    ]);
    expect(exported.code).toBe(0);
    const rpz = await readFile(path('exact.rpz'), 'utf8');
    expect(rpz).toMatch(/^only\.exact\.test CNAME \.$/m);
    expect(rpz).not.toMatch(/^\*\.only\.exact\.test /m);
    expect(rpz).toMatch(/^\*\.covered\.test CNAME \.$/m);
  });
});

describe('--help', () => {
  const COMMANDS = [
    [],
    ['lists'],
    ['lists', 'keygen'],
    ['lists', 'build'],
    ['lists', 'verify'],
    ['lists', 'info'],
    ['lists', 'lookup'],
    ['lists', 'export'],
    ['rpz'],
    ['rpz', 'serve'],
    ['demo'],
    ['demo', 'build'],
    ['serve'],
    ['reports'],
    ['reports', 'submit'],
    ['reports', 'outbox'],
    ['intake'],
    ['intake', 'keygen'],
    ['intake', 'serve'],
    ['intake', 'user'],
    ['intake', 'export'],
    ['intake', 'promote'],
  ];

  it('prints the usage and exits 0 on every command and subcommand', async () => {
    for (const command of COMMANDS) {
      const run = await kalkan([...command, '--help']);
      expect({ command, code: run.code, stderr: run.stderr }).toEqual({
        command,
        code: 0,
        stderr: '',
      });
      expect(run.stdout).toMatch(/Usage/);
    }
  });
});
