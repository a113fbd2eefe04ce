/**
 * The extension's bypass ruleset, as the build writes it from the signed bypass list: every
 * request to a public DoH/DoT resolver or to iCloud Private Relay's names is blocked in the
 * browser, for each browser's rule schema (build first: npm run build).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { DnrRule } from '../../blocklists/exports/dnr.js';
import { generate } from '../../extension/build/generate.js';
import { RULESETS } from '../../extension/manifest.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('extension bypass ruleset', () => {
  for (const browser of ['chrome', 'firefox'] as const) {
    it(`${browser}: blocks every request type to the bypass list's names`, async () => {
      const outDir = await mkdtemp(join(tmpdir(), 'kalkan-generate-'));
      try {
        await generate({ root: ROOT, outDir, browser });
        const rules = JSON.parse(
          await readFile(join(outDir, 'rules/bypass.json'), 'utf8'),
        ) as DnrRule[];
        const domains = rules.flatMap((r) => r.condition.requestDomains ?? []);
        for (const name of [
          'dns.google',
          'cloudflare-dns.com',
          'mask.icloud.com',
          'dns.nextdns.io',
        ])
          expect(domains).toContain(name);
        for (const rule of rules) {
          expect(rule.action).toEqual({ type: 'block' });
          expect(rule.condition.resourceTypes).toEqual(
            expect.arrayContaining(['main_frame', 'xmlhttprequest', 'other']),
          );
          if (browser === 'firefox')
            expect(rule.condition.resourceTypes).not.toContain('webtransport');
        }
      } finally {
        await rm(outDir, { recursive: true, force: true });
      }
    });
  }

  it('is a static ruleset of the manifest, on by default', () => {
    expect(RULESETS).toContainEqual({ id: 'bypass', path: 'rules/bypass.json', enabled: true });
  });
});
