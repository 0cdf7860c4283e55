import { defineConfig } from 'vitest/config';

// Source-first resolution: packages import each other's src through the "provkit-source"
// export condition, so tests never need a build first.
const conditions = ['provkit-source', 'import', 'module', 'node', 'default'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          globalSetup: ['lab/src/test-scratch.ts'],
          include: ['packages/*/src/**/*.test.ts', 'packages/*/test-support/**/*.test.ts', 'examples/**/*.test.ts', 'docs/**/*.test.ts'],
          exclude: ['**/node_modules/**', 'examples/**/*.lab.test.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'lab',
          include: ['packages/*/lab-tests/**/*.test.ts', 'examples/**/*.lab.test.ts'],
          globalSetup: ['lab/src/test-scratch.ts', 'lab/src/global-setup.ts'],
          testTimeout: 300_000,
          hookTimeout: 900_000,
          // Lab tests share real daemons and a 2-core machine: run files one at a time.
          fileParallelism: false,
        },
      },
    ],
  },
});
