// `npm run test:workers`: the real Wasm module in real worker threads (build/workers/ compiled by
// build:workers), plus a type test of the module declaration. Writes the JSON report that
// scripts/test-all.mjs sums.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export default defineConfig({
  root,
  test: {
    include: ['tests/workers/**/*.test.ts'],
    // Files run one after another: the machine has two cores and each file starts workers.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default', 'json'],
    outputFile: { json: join(root, 'build', 'test-results', 'workers.json') },
    typecheck: {
      enabled: true,
      include: ['tests/workers/**/*.test-d.ts'],
      tsconfig: join(root, 'tests', 'workers', 'tsconfig.json'),
    },
  },
});
