// The engine's threads in Chromium. A cross-origin isolated page (the app's headers) loads the
// pthreads build and its helper threads start under the app's CSP, in dev (workers/ through Vite)
// and in the built app; a page served without COOP/COEP (no SharedArrayBuffer) falls back to
// the single-threaded build and still optimises. Results agree bit for bit either way.
import { test, expect, type Page } from '@playwright/test';
import { PAGE, startWorkerServer } from '../workers/bench/server.mjs';

/** Opens the engine page; collects page errors and CSP violations for the caller to check. */
async function enginePage(page: Page, url: string): Promise<string[]> {
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    // Not every console error: the page has no favicon, which is a 404.
    if (/Content Security Policy|Refused to|pelican-wasm/i.test(message.text())) problems.push(message.text());
  });
  await page.goto(url + PAGE);
  await page.waitForFunction(() => (window as unknown as { pelicanReady?: boolean }).pelicanReady === true);
  return problems;
}

/** In the page: a 96×80 scene optimised for 12 steps on one engine; what it reports. */
async function runInPage(page: Page, options: Record<string, unknown>) {
  return page.evaluate(async (options) => {
    const { createEngine } = (window as any).pelican;
    const engine = createEngine(options);
    try {
      const w = 96,
        h = 80;
      await engine.init(w, h);
      const target = new Float32Array(w * h);
      for (let i = 0; i < target.length; i++) target[i] = 0.5 + 0.4 * Math.sin(i * 0.37) * Math.cos(i * 0.011);
      await engine.setTarget(target);
      const values = [0.3, 0.42, 0.55, 0.2, 0.7, 0.6, 0.3, 0.12, 0.1, 0.5, 0.2, 0.35, 0.4, 0.08];
      // Circle, ellipse, circle, in constrained values (intensity, then geometry).
      await engine.setScene(Int32Array.of(0, 1, 0), Float64Array.from(values), Float64Array.of(1));
      const evaluated = await engine.evaluate(0.7 / w);
      const run = await engine.optimize({ steps: 12 });
      const info = await engine.info();
      return {
        isolated: crossOriginIsolated,
        sharedArrayBuffer: typeof SharedArrayBuffer,
        cores: navigator.hardwareConcurrency,
        info: { flavour: info.flavour, threads: info.threads, maxThreads: info.maxThreads },
        total: evaluated.breakdown.total,
        gradients: Array.from(evaluated.gradients as Float32Array),
        values: Array.from(run.values as Float64Array),
        steps: run.stepsCompleted,
      };
    } finally {
      engine.terminate();
    }
  }, options);
}

test('isolated: the threads build runs on every core, its helpers start under the CSP, and it agrees with one thread', async ({
  page,
}) => {
  const server = await startWorkerServer();
  try {
    const problems = await enginePage(page, server.url);
    const helpers: string[] = [];
    page.on('worker', (worker) => helpers.push(worker.url()));
    const threaded = await runInPage(page, {});
    const single = await runInPage(page, { singleThread: true });
    expect(threaded).toMatchObject({ isolated: true, info: { flavour: 'simd-threads' }, steps: 12 });
    const most = Math.min(threaded.cores, 16);
    expect(threaded.info).toEqual({ flavour: 'simd-threads', threads: most, maxThreads: most });
    expect(single.info).toEqual({ flavour: 'simd', threads: 1, maxThreads: 1 });
    // The helpers are blob: workers (see workers/wasm-loader.ts).
    if (most > 1) expect(helpers.filter((url) => url.startsWith('blob:')).length).toBeGreaterThan(0);
    expect(threaded.total).toBe(single.total);
    expect(threaded.gradients).toEqual(single.gradients);
    expect(threaded.values).toEqual(single.values);
    expect(problems).toEqual([]);
  } finally {
    await server.close();
  }
});

test('not isolated: no SharedArrayBuffer, the single-threaded build is chosen and optimises', async ({ page }) => {
  const isolated = await startWorkerServer();
  const plain = await startWorkerServer({ isolated: false });
  try {
    const problems = await enginePage(page, plain.url);
    const fallback = await runInPage(page, {});
    expect(fallback).toMatchObject({
      isolated: false,
      sharedArrayBuffer: 'undefined',
      info: { flavour: 'simd', threads: 1 },
      steps: 12,
    });
    expect(problems).toEqual([]);
    // The same scene on the isolated page's threads build: the same numbers.
    await enginePage(page, isolated.url);
    const threaded = await runInPage(page, {});
    expect(threaded.info.flavour).toBe('simd-threads');
    expect(fallback.total).toBe(threaded.total);
    expect(fallback.values).toEqual(threaded.values);
  } finally {
    await plain.close();
    await isolated.close();
  }
});

test('the built app starts the threads build helpers under its CSP', async ({ page, baseURL }) => {
  const helpers: string[] = [];
  const problems: string[] = [];
  page.on('worker', (worker) => helpers.push(worker.url()));
  page.on('console', (message) => {
    if (/Content Security Policy|Refused to|pelican-wasm/i.test(message.text())) problems.push(message.text());
  });
  await page.goto(baseURL!);
  const cores = await page.evaluate(() => navigator.hardwareConcurrency);
  test.skip(cores < 2, 'one core: an engine runs no helper threads');
  // The app's first engine loads at start-up and, alone, gets every core.
  // Its helpers are the page's blob: workers (the app's own workers are files).
  await expect
    .poll(() => helpers.filter((url) => url.startsWith('blob:')).length, { timeout: 90_000 })
    .toBeGreaterThan(0);
  expect(problems).toEqual([]);
});
