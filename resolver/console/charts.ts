/**
 * Server-made SVG bar charts for the console (no script, no chart library): one bar per day,
 * stacked by series, with a value axis, day labels and a legend. Each bar segment carries a
 * <title>, so hovering shows the number.
 */
import { escapeHtml } from './html.js';

export interface Series {
  name: string;
  values: readonly number[];
}

const PALETTE = ['#2f6fb0', '#c0392b', '#e08e0b', '#27ae60', '#8e44ad', '#7f8c8d'];
const WIDTH = 640;
const HEIGHT = 220;
const LEFT = 48;
const BOTTOM = 28;
const TOP = 24;

/** A "nice" axis maximum (1, 2 or 5 times a power of ten) at or above `max`. */
export function niceMax(max: number): number {
  if (max <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 2, 5, 10]) if (step * power >= max) return step * power;
  return 10 * power;
}

export function barChart(
  id: string,
  label: string,
  days: readonly string[],
  series: readonly Series[],
): string {
  const totals = days.map((_, i) => series.reduce((sum, s) => sum + (s.values[i] ?? 0), 0));
  const top = niceMax(totals.reduce((most, t) => Math.max(most, t), 0));
  const plotHeight = HEIGHT - TOP - BOTTOM;
  const slot = (WIDTH - LEFT - 8) / Math.max(1, days.length);
  const barWidth = Math.max(2, Math.min(40, slot * 0.7));
  const y = (v: number) => TOP + plotHeight - (v / top) * plotHeight;
  const axis = [0, top / 2, top]
    .map(
      (v) =>
        `<line x1="${LEFT}" x2="${WIDTH - 4}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/><text x="${LEFT - 4}" y="${y(v) + 4}" text-anchor="end" font-size="10">${v}</text>`,
    )
    .join('');
  const bars = days
    .map((day, i) => {
      const x = LEFT + i * slot + (slot - barWidth) / 2;
      let base = 0;
      const segments = series
        .map((s, k) => {
          const v = s.values[i] ?? 0;
          if (v <= 0) return '';
          const rect = `<rect class="bar" data-day="${escapeHtml(day)}" data-series="${escapeHtml(s.name)}" x="${x.toFixed(1)}" y="${y(base + v).toFixed(1)}" width="${barWidth.toFixed(1)}" height="${(y(base) - y(base + v)).toFixed(1)}" fill="${PALETTE[k % PALETTE.length]}"><title>${escapeHtml(`${day} ${s.name}: ${v}`)}</title></rect>`;
          base += v;
          return rect;
        })
        .join('');
      const text = `<text x="${(x + barWidth / 2).toFixed(1)}" y="${HEIGHT - BOTTOM + 14}" text-anchor="middle" font-size="10">${escapeHtml(day.slice(5))}</text>`;
      return segments + text;
    })
    .join('');
  const legend = series
    .map(
      (s, k) =>
        `<rect x="${LEFT + k * 110}" y="4" width="10" height="10" fill="${PALETTE[k % PALETTE.length]}"/><text x="${LEFT + k * 110 + 14}" y="13" font-size="11">${escapeHtml(s.name)}</text>`,
    )
    .join('');
  return `<svg id="${escapeHtml(id)}" role="img" aria-label="${escapeHtml(label)}" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" xmlns="http://www.w3.org/2000/svg"><title>${escapeHtml(label)}</title>${axis}${bars}${legend}</svg>`;
}
