import { defineConfig } from 'vitest/config';

// The test run StrykerJS measures the kit by: the whole kit against the reference
// implementations, resolved from source as the unit project does.
const conditions = ['provkit-source', 'import', 'module', 'node', 'default'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: { include: ['packages/conformance/src/reference/reference.test.ts'] },
});
