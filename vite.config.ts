// The web app's build and servers.
//
// Security headers: COOP/COEP make the page cross-origin isolated (SharedArrayBuffer, precise
// timers, threaded Wasm). The CSP lets the page load nothing but its own origin. Its one opening
// is connect-src for the LLM provider: the endpoint is typed by the user at run time, and a
// served header cannot know it in advance, so fetch may go to any https origin or to a local
// model server on 127.0.0.1/localhost. Nothing else (scripts, workers, Wasm, styles, images)
// may come from elsewhere. 'wasm-unsafe-eval' is what Wasm compilation (engine and Pyodide) needs.
import { createReadStream, mkdirSync, copyFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';
import { currentSnapshotName, ensureSnapshot, pyodideVersion } from './py/host/make-snapshot.mjs';
import { SNAPSHOT_FILE_PATTERN } from './py/host/snapshot-resume.mjs';
import { DEFAULT_PORT } from './scripts/port.mjs';

const root = dirname(fileURLToPath(import.meta.url));
const pyodideDir = join(root, 'node_modules', 'pyodide');
// Python with pelican imported, made once per source change (py/host/make-snapshot.mjs) and kept here.
const snapshotCache = join(root, 'build', 'pyodide-snapshot');

// Only what loadPyodide fetches for a stdlib-only package; the rest of the npm package is Node glue.
const PYODIDE_FILES = ['pyodide.mjs', 'pyodide.asm.mjs', 'pyodide.asm.wasm', 'python_stdlib.zip', 'pyodide-lock.json'];

const MIME: Record<string, string> = {
  '.mjs': 'text/javascript',
  '.js': 'text/javascript',
  '.wasm': 'application/wasm',
  '.zip': 'application/zip',
  '.bin': 'application/octet-stream',
  '.json': 'application/json',
};

export const LLM_CONNECT_SRC = 'https: http://127.0.0.1:* http://localhost:*';

function csp(dev: boolean): string {
  return [
    "default-src 'self'",
    // Vite's dev client injects CSS through <style> elements; the built app uses files only.
    `script-src 'self' 'wasm-unsafe-eval'`,
    `style-src 'self'${dev ? " 'unsafe-inline'" : ''}`,
    "img-src 'self' blob: data:",
    "media-src 'self' blob:",
    "worker-src 'self' blob:",
    `connect-src 'self'${dev ? ' ws://127.0.0.1:*' : ''} ${LLM_CONNECT_SRC}`,
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

const PERMISSIONS_POLICY = [
  'camera',
  'microphone',
  'geolocation',
  'usb',
  'serial',
  'hid',
  'bluetooth',
  'midi',
  'payment',
  'display-capture',
  'accelerometer',
  'gyroscope',
  'magnetometer',
  'browsing-topics',
  'interest-cohort',
]
  .map((f) => `${f}=()`)
  .join(', ');

function headers(dev: boolean): Record<string, string> {
  return {
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Embedder-Policy': 'require-corp',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Content-Security-Policy': csp(dev),
    'X-Content-Type-Options': 'nosniff',
    // The page never needs to tell anyone where it was opened from, nor any device or sensor.
    'Referrer-Policy': 'no-referrer',
    'Permissions-Policy': PERMISSIONS_POLICY,
  };
}

// Pyodide comes from the npm package and is served by the app itself, never from a CDN:
// in dev straight out of node_modules, in the build copied next to the bundle. Beside it, the
// memory snapshot the page resumes Python from (named after the sources it holds: a page asking
// for any other name is carrying other sources, gets a 404 and starts Python from scratch).
function pyodideFromOwnOrigin(): Plugin {
  return {
    name: 'pelican-pyodide',
    configureServer(server) {
      const making = () =>
        ensureSnapshot(snapshotCache).catch((error: Error) => {
          server.config.logger.error(
            `[pelican] ${error.message}\n[pelican] the page will start Python without the snapshot`,
          );
          return null;
        });
      void making();
      server.middlewares.use((req, res, next) => {
        const url = (req.url ?? '').split('?')[0];
        if (!url.startsWith('/pyodide/')) return next();
        const name = url.slice('/pyodide/'.length);
        const snapshot = SNAPSHOT_FILE_PATTERN.test(name);
        const serve = (file: string | null) => {
          for (const [k, v] of Object.entries(headers(true))) res.setHeader(k, v);
          if (!file) {
            res.statusCode = 404;
            res.end();
            return;
          }
          const ext = name.slice(name.lastIndexOf('.'));
          res.setHeader('Content-Type', MIME[ext] ?? 'application/octet-stream');
          res.setHeader('Content-Length', String(statSync(file).size));
          res.setHeader('Cache-Control', 'max-age=3600');
          createReadStream(file).pipe(res);
        };
        // Anything else under /pyodide/ (a package wheel loadPackage asks for) is not served offline.
        if (!snapshot) serve(PYODIDE_FILES.includes(name) ? join(pyodideDir, name) : null);
        else if (name !== currentSnapshotName()) serve(null);
        else void making().then(serve);
      });
    },
    async writeBundle(options) {
      const out = join(options.dir ?? resolve(root, 'dist'), 'pyodide');
      mkdirSync(out, { recursive: true });
      for (const name of PYODIDE_FILES) copyFileSync(join(pyodideDir, name), join(out, name));
      const snapshot = await ensureSnapshot(snapshotCache);
      copyFileSync(snapshot, join(out, basename(snapshot)));
    },
  };
}

export default defineConfig(({ command, isPreview }) => {
  const dev = command === 'serve' && !isPreview;
  // $PORT as npm start reads it (scripts/port.mjs); a --port on Vite's own command line wins.
  const port = /^\d+$/.test(process.env.PORT ?? '') ? Number(process.env.PORT) : DEFAULT_PORT;
  return {
    root: 'web',
    base: './',
    publicDir: false,
    // A missing file is a 404 (dev and preview), never index.html with 200: Pyodide's loadPackage
    // and any script fetching a file must see that it is not there.
    appType: 'mpa',
    plugins: [pyodideFromOwnOrigin()],
    build: {
      outDir: '../dist',
      emptyOutDir: true,
      target: 'es2022',
      chunkSizeWarningLimit: 2000,
      // The threaded engine's helper script (pelican-simd-threads.worker-source.mjs, 3 kB) must
      // stay a file: inlined as a data: URL the CSP would not let the engine import it.
      assetsInlineLimit: (file: string) => (file.endsWith('.worker-source.mjs') ? false : undefined),
    },
    worker: { format: 'es' },
    server: {
      host: '127.0.0.1',
      port,
      strictPort: true,
      headers: headers(dev),
      // py/ and workers/ (and build/wasm) live outside web/.
      fs: { allow: [root] },
    },
    preview: {
      host: '127.0.0.1',
      port,
      strictPort: true,
      headers: headers(false),
    },
    optimizeDeps: { exclude: ['pyodide'] },
    // The page names the Python snapshot it wants before pyodide.mjs has loaded (web/src/python.ts).
    define: {
      __PYODIDE_VERSION__: JSON.stringify(pyodideVersion()),
      // The page names what its CSP lets the LLM client reach (web/src/llm-reach.ts).
      __LLM_CONNECT_SRC__: JSON.stringify(LLM_CONNECT_SRC),
    },
  };
});
