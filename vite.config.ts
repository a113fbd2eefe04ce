import { fileURLToPath } from 'node:url';
import { crx } from '@crxjs/vite-plugin';
import { defineConfig } from 'vitest/config';
import { defaultDestination, generate, pinnedKeys } from './extension/build/generate.js';
import { manifestFor, type TargetBrowser } from './extension/manifest.js';

const root = fileURLToPath(new URL('.', import.meta.url));
const TARGETS: readonly string[] = ['chrome', 'firefox'];

// One config for the extension build (`vite build --mode chrome|firefox`, see
// `npm run build:extension`) and the tests (`vitest`). Tests are grouped by how much of the
// machine they need.
export default defineConfig(async ({ mode }) => {
  const test = {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['tests/unit/**/*.test.ts'],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['tests/integration/**/*.test.ts', 'tests/e2e/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // Real servers and browsers share two cores and fixed ports: one file at a time.
          fileParallelism: false,
        },
      },
    ],
  };
  if (!TARGETS.includes(mode)) return { test };

  const browser = mode as TargetBrowser;
  const generated = `${root}extension/.generated/${browser}`;
  await generate({ root, outDir: generated, browser });
  const { version } = (await import('./package.json', { with: { type: 'json' } })).default;
  return {
    test,
    root: `${root}extension`,
    publicDir: generated,
    define: {
      __KALKAN_PINNED_KEYS__: JSON.stringify(await pinnedKeys(root)),
      __KALKAN_DEFAULT_DESTINATION__: JSON.stringify(await defaultDestination(root)),
    },
    build: {
      outDir: `${root}dist/${browser}`,
      emptyOutDir: true,
      // Minified: a stopped worker must load its script before it can check a navigation, and
      // half the bytes measurably shortened that. Source maps are not shipped; the source is
      // this repository (AMO asks for it with minified uploads).
      minify: true,
      rollupOptions: {
        input: {
          block: `${root}extension/pages/block.html`,
          onboarding: `${root}extension/pages/onboarding.html`,
          report: `${root}extension/pages/report.html`,
        },
      },
    },
    plugins: [crx({ manifest: manifestFor(browser, version), browser })],
  };
});
