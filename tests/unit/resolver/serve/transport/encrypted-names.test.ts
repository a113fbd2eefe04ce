import { describe, expect, it } from 'vitest';
import { dohRequest } from '../../../../../resolver/serve/transport/doh.js';
import { deviceOfServername } from '../../../../../resolver/serve/transport/tls.js';

describe('device ids of encrypted transports', () => {
  it('DoH: /dns-query, /dns-query/<id>; anything else is not DoH', () => {
    expect(dohRequest('/dns-query?dns=AAAB')).toEqual({ path: '/dns-query', device: undefined });
    expect(dohRequest('/dns-query/KidPhone?dns=x')).toMatchObject({ device: 'kidphone' });
    for (const url of ['/', '/dns-query/', '/dns-query/a/b', '/dns-query/../x', '/dns-queryx'])
      expect(dohRequest(url), url).toBeUndefined();
  });

  it('DoT: the first SNI label in front of the service name', () => {
    expect(deviceOfServername('kid1.kalkan.test', 'kalkan.test')).toBe('kid1');
    expect(deviceOfServername('KID1.Kalkan.Test', 'kalkan.test')).toBe('kid1');
    expect(deviceOfServername('kalkan.test', 'kalkan.test')).toBeUndefined();
    expect(deviceOfServername('a.b.kalkan.test', 'kalkan.test')).toBeUndefined();
    expect(deviceOfServername('kid1.other.test', 'kalkan.test')).toBeUndefined();
    expect(deviceOfServername(false, 'kalkan.test')).toBeUndefined();
  });
});
