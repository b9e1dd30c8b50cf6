// The built app served by `vite preview` (the production headers) and Debian's Chromium opened
// on it, for the benchmarks that measure the page itself.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM } from './chromium.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Builds the app, serves it on 127.0.0.1 (`port`, or the next free one) and launches Chromium. */
export async function openBuiltApp({ port, log = () => {} }) {
  const { chromium } = await import('playwright-core');
  const { build, preview } = await import('vite');
  const configFile = join(root, 'vite.config.ts');
  log('building the app');
  await build({ configFile, logLevel: 'warn' });
  const server = await preview({
    configFile,
    logLevel: 'warn',
    preview: { host: '127.0.0.1', port, strictPort: false },
  });
  const browser = await chromium.launch(CHROMIUM);
  return {
    url: server.resolvedUrls.local[0],
    browser,
    async close() {
      await browser.close();
      await new Promise((done) => server.httpServer.close(done));
    },
  };
}
