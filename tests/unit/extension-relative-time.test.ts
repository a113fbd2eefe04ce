/** List status in words on the popup. */
import { describe, expect, it } from 'vitest';
import { relativeTime } from '../../extension/pages/relative-time.js';

const NOW = Date.parse('2026-06-01T12:00:00Z');

describe('relative time', () => {
  it('says how long ago, in the page language', () => {
    expect(relativeTime(new Date(NOW - 2 * 3_600_000), 'en', NOW)).toBe('2 hours ago');
    expect(relativeTime(new Date(NOW - 86_400_000), 'en', NOW)).toBe('yesterday');
    expect(relativeTime(new Date(NOW - 10_000), 'en', NOW)).toBe('this minute');
    expect(relativeTime(new Date(NOW - 2 * 3_600_000), 'ru', NOW)).toBe('2 часа назад');
  });
});
