// Playwright for the web app: Debian's Chromium (browsers are never downloaded), the built app
// (in build/e2e-dist/<port>) served by `vite preview` with the production headers, and no
// network beyond 127.0.0.1.
import { defineConfig } from '@playwright/test';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM } from '../scripts/chromium.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// PELICAN_E2E_PORT lets several worktrees run their suites side by side on one machine.
const PORT = Number(process.env.PELICAN_E2E_PORT) || 5173;
export const BASE_URL = `http://127.0.0.1:${PORT}`;
// The app is built for the tests into a folder of their own, one per port: a `vite build` into
// dist/ (npm start, a dev build) or a second suite on another port cannot empty the folder this
// server is serving (which shows as 404s on hashed assets mid-run).
export const E2E_DIST = join(root, 'build', 'e2e-dist', String(PORT));

export default defineConfig({
  testDir: '.',
  // Two cores are shared by the whole test run: one browser at a time.
  workers: 1,
  fullyParallel: false,
  timeout: 120_000,
  expect: { timeout: 20_000 },
  retries: 0,
  outputDir: join(root, 'build/test-results/e2e-artifacts'),
  reporter: [['list'], ['json', { outputFile: join(root, 'build/test-results/e2e.json') }]],
  use: {
    baseURL: BASE_URL,
    browserName: 'chromium',
    headless: true,
    viewport: { width: 1280, height: 860 },
    acceptDownloads: true,
    launchOptions: CHROMIUM,
    trace: 'off',
    screenshot: 'only-on-failure',
  },
  webServer: {
    command: `npx vite build --logLevel warn --outDir ${JSON.stringify(E2E_DIST)} && npx vite preview --port ${PORT} --outDir ${JSON.stringify(E2E_DIST)}`,
    cwd: root,
    url: BASE_URL,
    reuseExistingServer: !process.env.CI,
    timeout: 180_000,
    stdout: 'ignore',
    stderr: 'pipe',
  },
});
