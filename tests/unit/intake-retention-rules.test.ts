import { describe, expect, it } from 'vitest';
import {
  effectiveRetention,
  parseRetention,
  retentionFromForm,
} from '../../resolver/intake/retention.js';

describe('retention rules', () => {
  it('a saved rule wins over the flag for its state; null keeps; flags fill the rest', () => {
    const flags = parseRetention(['new=30', 'rejected=30', 'removed=3650']);
    expect(effectiveRetention(flags, { new: 0, rejected: null })).toEqual({
      new: 0,
      removed: 3650,
    });
    expect(effectiveRetention(flags, {})).toEqual(flags);
  });

  it('reads the supervisor form: every state, empty as kept', () => {
    const rules = retentionFromForm({ 'days.new': ' 7 ', 'days.rejected': '' });
    expect(rules.new).toBe(7);
    expect(rules.rejected).toBeNull();
    expect(rules.removed).toBeNull();
    expect(Object.keys(rules)).toHaveLength(7);
  });

  it('names the state when the days are not a whole number', () => {
    expect(() => retentionFromForm({ 'days.duplicate': '1.5' })).toThrow(
      'Days for duplicate: "1.5" is not a whole number',
    );
    expect(() => retentionFromForm({ 'days.new': '-1' })).toThrow('Days for new');
  });
});
