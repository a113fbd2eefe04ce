import { defineConfig } from 'vitest/config';

// One config for the extension build (`vite build`, added with the extension) and the tests
// (`vitest`). Tests are grouped by how much of the machine they need.
export default defineConfig({
  test: {
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
  },
});
