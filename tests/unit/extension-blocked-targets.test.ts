/** What an unlock may lift: the address a tab was blocked from, recorded from its navigations. */
import { describe, expect, it, vi } from 'vitest';

const session = new Map<string, unknown>();
vi.mock('../../extension/background/api.js', () => ({
  browser: {
    storage: {
      session: {
        get: async (key: string) => (session.has(key) ? { [key]: session.get(key) } : {}),
        set: async (items: Record<string, unknown>) => {
          for (const [k, v] of Object.entries(items)) session.set(k, v);
        },
      },
    },
  },
}));

const { blockedTargetOf, forgetTab, isBlockPage, navigationCommitted, navigationStarted } =
  await import('../../extension/background/blocked-targets.js');

const BLOCK = 'chrome-extension://abcdefghijklmnopabcdefghijklmnop/pages/block.html?c=adult';

describe('blocked targets', () => {
  it('records the address a navigation was redirected to the block page from', async () => {
    navigationStarted(1, 0, 'http://adult.kalkan.test/page');
    await navigationCommitted(1, 0, BLOCK);
    expect(await blockedTargetOf(1)).toEqual({
      url: 'http://adult.kalkan.test/page',
      category: 'adult',
    });
  });

  it('records nothing for a block page typed or opened directly', async () => {
    navigationStarted(2, 0, `${BLOCK}&h=test`);
    await navigationCommitted(2, 0, `${BLOCK}&h=test`);
    expect(await blockedTargetOf(2)).toBeUndefined();
  });

  it('forgets the record once the tab goes elsewhere, or closes', async () => {
    navigationStarted(3, 0, 'http://adult.kalkan.test/');
    await navigationCommitted(3, 0, BLOCK);
    navigationStarted(3, 0, 'http://other.test/');
    await navigationCommitted(3, 0, 'http://other.test/');
    expect(await blockedTargetOf(3)).toBeUndefined();
    await forgetTab(1);
    expect(await blockedTargetOf(1)).toBeUndefined();
  });

  it('ignores frames and knows the block page under any extension id', async () => {
    navigationStarted(4, 5, 'http://adult.kalkan.test/');
    await navigationCommitted(4, 5, BLOCK);
    expect(await blockedTargetOf(4)).toBeUndefined();
    expect(isBlockPage('moz-extension://uuid/pages/block.html?c=abuse')).toBe(true);
    expect(isBlockPage('http://evil.test/pages/block.html')).toBe(false);
  });
});
