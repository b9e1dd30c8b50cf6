// A throwaway Vite dev server rooted at the project, serving workers/ the way the app does
// (module worker, bare imports resolved, Wasm from build/wasm/), with the cross-origin
// isolation headers SharedArrayBuffer needs. Used by the Chromium benchmark and by
// e2e/worker.spec.ts; each caller closes it when done.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer } from 'vite';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export { CHROMIUM } from '../../scripts/chromium.mjs';

/**
 * Starts the server on a free port; resolves to { url, close }. The page is at url + PAGE.
 * isolated: false leaves out COOP/COEP/CORP (the CSP stays): a page without SharedArrayBuffer,
 * where the engine must fall back to its single-threaded build.
 */
export async function startWorkerServer({ isolated = true } = {}) {
  const isolation = isolated
    ? {
        'Cross-Origin-Opener-Policy': 'same-origin',
        'Cross-Origin-Embedder-Policy': 'require-corp',
        'Cross-Origin-Resource-Policy': 'same-origin',
      }
    : {};
  const server = await createServer({
    configFile: false,
    root,
    logLevel: 'warn',
    clearScreen: false,
    server: {
      host: '127.0.0.1',
      port: 0,
      strictPort: false,
      hmr: false,
      watch: null,
      headers: {
        ...isolation,
        // The app's policy for scripts and workers: the engine must run without eval.
        'Content-Security-Policy':
          "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self' blob:; connect-src 'self'",
      },
    },
    optimizeDeps: { noDiscovery: true, include: ['comlink'] },
    worker: { format: 'es' },
  });
  await server.listen();
  const address = server.httpServer.address();
  return { url: `http://127.0.0.1:${address.port}`, close: () => server.close() };
}

export const PAGE = '/workers/bench/page.html';
