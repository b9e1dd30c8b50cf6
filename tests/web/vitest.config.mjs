// `npm run test:web`: the page's store and actions outside the DOM (the real engine in real
// worker threads, from build/workers/), and the shape of web/src (no import loop, small files).
// Writes the JSON report that scripts/test-all.mjs sums.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export default defineConfig({
  root,
  // The build-time constants vite.config.ts defines for the app.
  define: {
    __LLM_CONNECT_SRC__: JSON.stringify('https: http://127.0.0.1:* http://localhost:*'),
    __PYODIDE_VERSION__: JSON.stringify('test'),
  },
  test: {
    include: ['tests/web/**/*.test.ts'],
    environment: 'node',
    setupFiles: ['tests/web/setup.ts'],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default', 'json'],
    outputFile: { json: join(root, 'build', 'test-results', 'web.json') },
  },
});
