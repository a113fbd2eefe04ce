import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig, resolvePaths } from '../../../../resolver/serve/config.js';

function errorOf(text: string): string {
  try {
    parseConfig(text, 'kalkan.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('no error');
}

describe('encrypted DNS config', () => {
  it('types dot/doh addresses, tls paths (relative to the file), devices and proxyProtocol', () => {
    const text = [
      'dot: ["0.0.0.0:853", "[::]:853"]',
      'doh: ["192.0.2.1:443"]',
      'tls: {cert: certs/cert.pem, key: certs/key.pem, name: dns.example.org}',
      'policies: [{name: child, categories: [adult]}]',
      'devices: [{id: kid-phone, policy: child}]',
      'proxyProtocol: {from: [10.0.0.5/32]}',
      '',
    ].join('\n');
    const c = resolvePaths(parseConfig(text, 'x.yaml'), '/etc/kalkan');
    expect(c.dot).toEqual([
      { host: '0.0.0.0', port: 853 },
      { host: '::', port: 853 },
    ]);
    expect(c.doh).toEqual([{ host: '192.0.2.1', port: 443 }]);
    expect(c.tls).toEqual({
      cert: '/etc/kalkan/certs/cert.pem',
      key: '/etc/kalkan/certs/key.pem',
      name: 'dns.example.org',
    });
    expect(c.policies[0]?.subnets).toEqual([]); // a policy for devices only
    expect(c.devices).toEqual([{ id: 'kid-phone', policy: 'child' }]);
    expect(c.proxyProtocol?.from).toEqual(['10.0.0.5/32']);
  });

  it('names the key and line of a bad DoT address, device id or balancer CIDR', () => {
    expect(errorOf('dot: ["0.0.0.0"]\n')).toMatch(
      /^kalkan\.yaml:1: dot\.0: "0\.0\.0\.0" has no :PORT/,
    );
    expect(errorOf('devices:\n  - {id: "Kid Phone", policy: default}\n')).toMatch(
      /^kalkan\.yaml:2: devices\.0\.id: a device id is a DNS label/,
    );
    expect(errorOf('proxyProtocol:\n  from: [not-a-net]\n')).toMatch(
      /^kalkan\.yaml:2: proxyProtocol\.from\.0: expected an address or ADDRESS\/BITS/,
    );
    expect(errorOf('tls: {cert: a.pem}\n')).toMatch(/tls\.key/);
  });
});
