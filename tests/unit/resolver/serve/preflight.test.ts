import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../../../resolver/serve/config.js';
import { preflight } from '../../../../resolver/serve/preflight.js';

const check = (config: Record<string, unknown>) =>
  preflight(
    { ...configSchema.parse(config), dataDir: join(tmpdir(), 'kalkan-preflight-unit') },
    {
      trialBind: false,
    },
  );

describe('preflight', () => {
  it('finds listeners that collide on an address or its wildcard, per protocol and family', async () => {
    expect(await check({ listen: ['0.0.0.0:53'], status: '192.0.2.1:53' })).toEqual([
      'status: 192.0.2.1:53 collides with listen[0] (0.0.0.0:53, tcp)',
    ]);
    expect(await check({ listen: ['[::]:53'], status: '127.0.0.1:53' })).toEqual([]);
    expect(await check({ listen: ['127.0.0.1:53'], status: '127.0.0.1:8053' })).toEqual([]);
  });

  it('names a listen host that is not an address and bad CIDRs by key', async () => {
    expect(await check({ listen: ['kalkan.example:53'], acl: ['10.0.0.256/8'] })).toEqual([
      'listen[0]: kalkan.example:53: "kalkan.example" is not an IP address',
      'acl[0]: "10.0.0.256/8" is not an address or CIDR',
    ]);
  });

  it('refuses a policy category that no list entry pins', async () => {
    const problems = await check({
      lists: [{ url: 'http://lists.example/a.klb', id: 'a', category: 'abuse' }],
      policies: [{ name: 'kids', subnets: ['10.0.0.0/8'], categories: ['abuse', 'adlt'] }],
    });
    expect(problems).toEqual([
      'policies[0].categories[1]: "adlt" is not a category of any list (known: abuse)',
    ]);
  });
});
