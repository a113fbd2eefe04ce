/** The day a count belongs to: UTC without Intl, other zones through it, the same answers. */
import { describe, expect, it } from 'vitest';
import { dayIn } from '../../../../resolver/serve/stats.js';

const viaIntl = (at: Date, timeZone: string) =>
  new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(at);

describe('dayIn', () => {
  const instants = [
    '2026-11-30T00:00:00.000Z',
    '2026-11-30T23:59:59.999Z',
    '2026-12-31T23:59:59.999Z',
    '2027-01-01T00:00:00.000Z',
    '2028-02-29T12:00:00.000Z',
  ].map((iso) => new Date(iso));

  it('gives the UTC day as Intl does', () => {
    for (const at of instants) expect(dayIn(at, 'UTC')).toBe(viaIntl(at, 'UTC'));
  });

  it('gives the local day of another zone (Bishkek is UTC+6)', () => {
    const lateUtc = new Date('2026-11-30T20:00:00.000Z');
    expect(dayIn(lateUtc, 'Asia/Bishkek')).toBe('2026-12-01');
    expect(dayIn(lateUtc, 'UTC')).toBe('2026-11-30');
    for (const at of instants) expect(dayIn(at, 'Asia/Bishkek')).toBe(viaIntl(at, 'Asia/Bishkek'));
  });
});
