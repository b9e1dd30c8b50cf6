// What both servers answer (the preview server Playwright runs, and the dev server started here):
// the security headers on every response, and 404 for a file that is not there — never the app's
// index.html with 200, which Pyodide's loadPackage would take for a package and fail to verify.
import { test, expect } from './fixture';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { E2E_DIST } from './playwright.config';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

const MISSING = [
  '/pyodide/numpy-2.2.5-cp313-cp313-pyodide_2025_0_wasm32.whl',
  '/assets/no-such-module.js',
  '/no-such-page.html',
];

async function checkServer(base: string) {
  const home = await fetch(base + '/');
  expect(home.status).toBe(200);
  expect(await home.text()).toContain('<title>pelican');
  const h = home.headers;
  expect(h.get('cross-origin-opener-policy')).toBe('same-origin');
  expect(h.get('cross-origin-embedder-policy')).toBe('require-corp');
  expect(h.get('content-security-policy')).toContain("default-src 'self'");
  expect(h.get('referrer-policy')).toBe('no-referrer');
  const perms = h.get('permissions-policy') ?? '';
  for (const feature of ['camera=()', 'microphone=()', 'geolocation=()']) expect(perms).toContain(feature);
  for (const path of MISSING) {
    const r = await fetch(base + path);
    expect(r.status, `${path} on ${base}`).toBe(404);
    expect(await r.text(), path).not.toContain('<title>pelican');
  }
  const lock = await fetch(base + '/pyodide/pyodide-lock.json');
  expect(lock.status).toBe(200);
}

test('the preview server sends the security headers and 404 for missing files', async ({ baseURL }) => {
  await checkServer(baseURL!);
});

test('the suite serves its own build (build/e2e-dist/<port>), so a build into dist/ cannot break it', async ({
  baseURL,
}) => {
  const home = await (await fetch(baseURL + '/')).text();
  expect(home).toBe(readFileSync(join(E2E_DIST, 'index.html'), 'utf8'));
  // A file put there now is what the server answers with: it serves that folder.
  const name = `served-from-here-${process.pid}-${Date.now()}.txt`;
  writeFileSync(join(E2E_DIST, name), name);
  try {
    const r = await fetch(`${baseURL}/${name}`);
    expect(r.status).toBe(200);
    expect(await r.text()).toBe(name);
  } finally {
    rmSync(join(E2E_DIST, name), { force: true });
  }
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

test('the dev server sends the same headers and 404 for missing files', async () => {
  test.setTimeout(180_000);
  const port = await freePort();
  const child: ChildProcess = spawn('npx', ['vite', '--port', String(port), '--strictPort', '--logLevel', 'warn'], {
    cwd: root,
    stdio: 'ignore',
    detached: true,
  });
  try {
    const base = `http://127.0.0.1:${port}`;
    const until = Date.now() + 120_000;
    for (;;) {
      try {
        if ((await fetch(base + '/')).ok) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > until) throw new Error('the dev server did not start');
      await new Promise((r) => setTimeout(r, 300));
    }
    await checkServer(base);
  } finally {
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      // already gone
    }
  }
});

test('a missing package says what is available offline', async ({ app }) => {
  const err = await app.evaluate(() =>
    (window as any).pelican.py('import numpy').then(
      () => 'imported',
      (e: Error) => e.message,
    ),
  );
  expect(err).toContain("No module named 'numpy'");
  expect(err).toMatch(/offline/);
  expect(err).toContain('standard library');
  expect(err).not.toContain('micropip.install');
  const load = await app.evaluate(() =>
    (window as any).pelican.py('import pyodide_js\nawait pyodide_js.loadPackage("numpy")\nimport numpy').then(
      () => 'loaded',
      (e: Error) => e.message,
    ),
  );
  expect(load).toMatch(/offline/);
});
