/**
 * `kalkan` as a few bundled files (build/resolver/bundle/): tsc's output for the CLI, with its
 * dependencies, in one entry file plus a chunk for each command and each part loaded later
 * (status page, prom-client, RPZ, reports). Node then opens 13 files instead of about 350 on the
 * way to the first answer: `kalkan serve` starts in about two thirds of the time, with 15–18 MB
 * less resident memory (docs/performance.md).
 *
 * The bundle sits at the same depth as build/resolver/cli/, so the paths the code builds from
 * `import.meta.url` (the package root, the demo keys) resolve the same way.
 */
import { defineConfig } from 'rolldown';

export default defineConfig({
  input: { kalkan: 'build/resolver/cli/kalkan.js' },
  platform: 'node',
  // A native addon: loaded from node_modules at run time.
  external: ['better-sqlite3'],
  output: {
    dir: 'build/resolver/bundle',
    format: 'esm',
    minify: true,
    sourcemap: true,
    cleanDir: true,
  },
});
