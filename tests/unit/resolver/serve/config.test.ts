import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig, systemUpstreams } from '../../../../resolver/serve/config.js';
import { defaultConfig } from '../../../../resolver/serve/default-config.js';

function errorOf(text: string): string {
  try {
    parseConfig(text, 'kalkan.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('no error');
}

describe('config', () => {
  it('fills defaults: loopback and private ACL, safe search on, NXDOMAIN blocking', () => {
    const c = parseConfig('listen: ["127.0.0.1:5353"]\n', 'x.yaml');
    expect(c.acl).toContain('192.168.0.0/16');
    expect(c.safeSearch).toBe(true);
    expect(c.block.mode).toBe('nxdomain');
    expect(c.cache.maxEntries).toBeGreaterThan(0);
  });

  it('names the key and the line of a bad value', () => {
    const text = 'listen: ["127.0.0.1:53"]\ncache:\n  maxEntries: 10\n  maxTtl: -5\n';
    expect(errorOf(text)).toMatch(/^kalkan\.yaml:4: cache\.maxTtl: /);
  });

  it('bounds names seen and kept answers by default, and names a bad bound', () => {
    const c = parseConfig('listen: ["127.0.0.1:5353"]\n', 'x.yaml');
    expect(c.memory.namesSeen).toBe(16_384);
    expect(c.cache.maxEntries).toBe(5_000);
    expect(errorOf('memory:\n  namesSeen: 100\n')).toMatch(
      /^kalkan\.yaml:2: memory\.namesSeen: Too small/,
    );
  });

  it('names the key and line of an item in a list, and of an unknown key', () => {
    const text = 'acl:\n  - 10.0.0.0/8\n  - not-a-subnet\npolicies: []\nlisten_on: x\n';
    const message = errorOf(text);
    expect(message).toContain('kalkan.yaml:3: acl.1: expected an address or ADDRESS/BITS');
    expect(message).toContain('kalkan.yaml:5: listen_on: unknown key');
  });

  it('takes udpIo auto (default), batched or dgram, and nothing else', () => {
    expect(parseConfig('listen: ["127.0.0.1:5353"]\n', 'x.yaml').udpIo).toBe('auto');
    expect(parseConfig('udpIo: dgram\n', 'x.yaml').udpIo).toBe('dgram');
    expect(parseConfig('udpIo: batched\n', 'x.yaml').udpIo).toBe('batched');
    expect(errorOf('udpIo: fast\n')).toMatch(/^kalkan\.yaml:1: udpIo: /);
  });

  it('names the setup key and line of a bad device-setup value', () => {
    expect(errorOf('setup:\n  doh: http://dns.example/dns-query\n')).toBe(
      'kalkan.yaml:2: setup.doh: expected an https:// URL',
    );
    expect(errorOf('setup:\n  dot: dns.example\n  devices: [Amina]\n')).toBe(
      'kalkan.yaml:3: setup.devices.0: expected one lower-case DNS label',
    );
    expect(errorOf('setup:\n  checkAddresses: [kalkan.lan]\n')).toBe(
      'kalkan.yaml:2: setup.checkAddresses.0: expected an IP address',
    );
  });

  it('reports YAML syntax errors with their line', () => {
    expect(errorOf('listen: [\n  "a:1"\nstatus: : :\n')).toMatch(/^kalkan\.yaml:\d+: /);
  });

  it('the embedded default serves 127.0.0.1:5353 and [::1]:5353 with the demo lists and bypass', () => {
    const c = defaultConfig();
    expect(c.listen).toEqual([
      { host: '127.0.0.1', port: 5353 },
      { host: '::1', port: 5353 },
    ]);
    expect(c.status).toEqual({ host: '127.0.0.1', port: 8053 });
    expect(c.lists.map((l) => ('file' in l ? l.file : l.url))).toEqual([
      expect.stringMatching(/build\/lists\/demo-abuse\.klb$/),
      expect.stringMatching(/build\/lists\/demo-adult\.klb$/),
      expect.stringMatching(/build\/lists\/kalkan-bypass\.klb$/),
    ]);
    expect(c.block.nxdomainCategories).toEqual(['bypass']);
    expect(c.setup.checkName).toBe('check.kalkan.invalid');
    expect(c.trust[0]).toMatch(/blocklists\/demo\/demo-publisher\.pub$/);
  });

  it('turns addresses into typed values once, naming the key and the problem', () => {
    const c = parseConfig(
      'listen: ["[2001:db8::1]:53"]\nupstreams: ["192.0.2.1", "tcp://[::1]:5300"]\nstatus: null\n',
      'x.yaml',
    );
    expect(c.listen).toEqual([{ host: '2001:db8::1', port: 53 }]);
    expect(c.upstreams).toEqual([
      { host: '192.0.2.1', port: 53, protocol: 'udp' },
      { host: '::1', port: 5300, protocol: 'tcp' },
    ]);
    expect(c.status).toBeNull();
    expect(errorOf('listen: ["127.0.0.1:70000"]\n')).toMatch(
      /^kalkan\.yaml:1: listen\.0: port "70000" in "127\.0\.0\.1:70000" is not a number from 1 to 65535/,
    );
    expect(errorOf('upstreams: ["resolver.example"]\n')).toMatch(
      /upstreams\.0: upstream must be an IP address/,
    );
    expect(errorOf('status: "[nope]:80"\n')).toMatch(/status: "nope" in brackets is not an IPv6/);
  });

  it('takes the IP nameservers of resolv.conf as port 53 upstreams', async () => {
    const { mkdtemp, writeFile } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const file = join(await mkdtemp(join(tmpdir(), 'kalkan-resolv-')), 'resolv.conf');
    await writeFile(file, 'nameserver 192.0.2.53\nnameserver fe80::1%eth0\nnameserver bogus\n');
    expect(await systemUpstreams(file)).toEqual([
      { host: '192.0.2.53', port: 53, protocol: 'udp' },
      { host: 'fe80::1', port: 53, protocol: 'udp' },
    ]);
  });
});
