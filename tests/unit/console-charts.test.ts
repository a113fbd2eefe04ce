/** The console's server-made SVG charts. */
import { describe, expect, it } from 'vitest';
import { barChart, niceMax } from '../../resolver/console/charts.js';

describe('barChart', () => {
  it('stacks series per day with heights in proportion and a nice axis', () => {
    const svg = barChart(
      'c',
      'Blocked <per> day',
      ['2026-11-29', '2026-11-30'],
      [
        { name: 'abuse', values: [2, 0] },
        { name: 'adult', values: [6, 4] },
      ],
    );
    expect(svg).toContain('aria-label="Blocked &lt;per&gt; day"');
    const heights = [
      ...svg.matchAll(/data-day="([^"]+)" data-series="([^"]+)"[^>]*height="([\d.]+)"/g),
    ].map(([, day, series, h]) => `${day} ${series} ${Number(h).toFixed(0)}`);
    // Axis top 10 over a 168 px plot: 2 → 34 px, 6 → 101 px, 4 → 67 px; a zero draws nothing.
    expect(heights).toEqual(['2026-11-29 abuse 34', '2026-11-29 adult 101', '2026-11-30 adult 67']);
    expect(svg).toContain('<title>2026-11-30 adult: 4</title>');
    expect(svg).toContain('>11-30<');
  });

  it('draws an empty chart without dividing by zero', () => {
    const svg = barChart('c', 'empty', [], []);
    expect(svg).not.toMatch(/NaN|Infinity/);
  });

  it('rounds the axis up to 1, 2 or 5 times a power of ten', () => {
    expect([0, 1, 3, 7, 12, 180, 501].map(niceMax)).toEqual([1, 1, 5, 10, 20, 200, 1000]);
  });
});
