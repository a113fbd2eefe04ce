/** Policy schedules in the café's time zone, with a clock the test moves. */
import { describe, expect, it } from 'vitest';
import { ClientPolicies } from '../../resolver/policies/client-policies.js';
import { localTime, windowActive } from '../../resolver/policies/schedule.js';

// Bishkek is UTC+6 all year: 2026-11-30 is a Monday.
const bishkek = (isoLocal: string) => new Date(`${isoLocal}+06:00`);
const TZ = 'Asia/Bishkek';

describe('windowActive', () => {
  const school = { days: ['mon', 'tue', 'wed', 'thu', 'fri'] as const, from: '08:00', to: '14:00' };
  const night = { days: ['fri'] as const, from: '21:00', to: '07:00' };

  it('reads the day and minute in the configured time zone, not UTC', () => {
    expect(localTime(bishkek('2026-11-30T00:30:00'), TZ)).toEqual({ day: 'mon', minute: 30 });
    expect(localTime(bishkek('2026-11-30T00:30:00'), 'UTC')).toEqual({ day: 'sun', minute: 1110 });
  });

  it('is on from `from` up to, not including, `to` on the listed days', () => {
    const on = (t: string) => windowActive({ ...school, days: [...school.days] }, bishkek(t), TZ);
    expect(on('2026-11-30T07:59:00')).toBe(false);
    expect(on('2026-11-30T08:00:00')).toBe(true);
    expect(on('2026-11-30T13:59:00')).toBe(true);
    expect(on('2026-11-30T14:00:00')).toBe(false);
    expect(on('2026-12-05T10:00:00')).toBe(false); // Saturday
  });

  it('runs overnight ranges into the next morning', () => {
    const on = (t: string) => windowActive({ ...night, days: [...night.days] }, bishkek(t), TZ);
    expect(on('2026-12-04T20:59:00')).toBe(false); // Friday evening, before
    expect(on('2026-12-04T21:00:00')).toBe(true);
    expect(on('2026-12-05T03:00:00')).toBe(true); // Saturday small hours
    expect(on('2026-12-05T07:00:00')).toBe(false);
    expect(on('2026-12-04T03:00:00')).toBe(false); // Friday small hours belong to Thursday
    expect(on('2026-12-05T22:00:00')).toBe(false); // Saturday evening is not listed
  });
});

describe('ClientPolicies', () => {
  it("turns children's hours on and off as the clock moves, for the named device only", () => {
    let now = bishkek('2026-11-30T14:00:00');
    const policies = new ClientPolicies(
      {
        timeZone: TZ,
        safeSearch: false,
        policies: [
          {
            name: 'children',
            subnets: [],
            categories: ['abuse'],
            safeSearch: false,
            schedule: [
              {
                days: ['mon', 'tue', 'wed', 'thu', 'fri'],
                from: '15:00',
                to: '21:00',
                categories: ['abuse', 'adult'],
                safeSearch: true,
              },
            ],
          },
        ],
        devices: [{ name: 'Kids corner PC', address: '192.168.1.20', policy: 'children' }],
      },
      () => now,
    );
    const kids = () => policies.policyFor('192.168.1.20');
    expect(kids().name).toBe('children');
    expect(policies.policyFor('192.168.1.21').name).toBe('default');
    expect([...(kids().categories ?? [])]).toEqual(['abuse']);
    expect(kids().safeSearch).toBe(false);

    const generation = policies.generation;
    now = bishkek('2026-11-30T14:59:00');
    expect(policies.tick()).toBe(false);
    now = bishkek('2026-11-30T15:00:00');
    expect(policies.tick()).toBe(true);
    expect(policies.generation).not.toBe(generation);
    expect([...(kids().categories ?? [])].sort()).toEqual(['abuse', 'adult']);
    expect(kids().safeSearch).toBe(true);
    expect(policies.windowOf('children')?.from).toBe('15:00');

    now = bishkek('2026-11-30T21:00:00');
    expect(policies.tick()).toBe(true);
    expect([...(kids().categories ?? [])]).toEqual(['abuse']);
    expect(kids().safeSearch).toBe(false);
    // The fast path indexes policies by position in `all`, which keeps its identity.
    const all = policies.all;
    policies.replace({ timeZone: TZ, safeSearch: true, policies: [], devices: [] });
    expect(policies.all).toBe(all);
    expect(kids().name).toBe('default');
  });
});
