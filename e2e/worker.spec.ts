// The engine worker in Chromium: workers/client.ts served by Vite (as the app loads it) under the
// app's COOP/COEP and Content-Security-Policy, driven through window.pelican. The app's own
// tests (the other specs here) cover the page; this file covers the compute service.
import { test as base, expect, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PAGE, startWorkerServer } from '../workers/bench/server.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const goldenDir = resolve(root, process.env.PELICAN_GOLDEN ?? '../shared/golden');
const targetsDir = resolve(root, process.env.PELICAN_TARGETS ?? '../shared/targets');

interface Fixtures {
  /** A page whose engine client is loaded; fails the test on page errors or CSP violations. */
  enginePage: Page;
}
interface WorkerFixtures {
  server: { url: string; close(): Promise<void> };
}

const test = base.extend<Fixtures, WorkerFixtures>({
  server: [
    async ({}, use) => {
      const server = await startWorkerServer();
      await use(server);
      await server.close();
    },
    { scope: 'worker' },
  ],
  enginePage: async ({ page, server }, use) => {
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error' && /Content Security Policy|Refused to/i.test(message.text()))
        problems.push(message.text());
    });
    await page.goto(server.url + PAGE);
    await page.waitForFunction(() => (window as unknown as { pelicanReady?: boolean }).pelicanReady === true);
    await use(page);
    expect(problems).toEqual([]);
  },
});

/** The first golden case: the initial pelican at 128², with its target and its parameters as constrained values. */
function goldenCase() {
  const golden = JSON.parse(readFileSync(join(goldenDir, 'loss-and-gradients.json'), 'utf8')).cases[0];
  const bytes = readFileSync(join(targetsDir, golden.target));
  const headerLength = new TextDecoder('latin1').decode(bytes.subarray(0, 32)).match(/^P5\s+\d+\s+\d+\s+255\s/)![0]
    .length;
  const target = Array.from(bytes.subarray(headerLength), (b) => b / 255);
  const fields: Record<string, string[]> = {
    circle: ['intensity_raw', 'cx_raw', 'cy_raw', 'radius_raw'],
    ellipse: ['intensity_raw', 'cx_raw', 'cy_raw', 'rx_raw', 'ry_raw', 'rotation_raw'],
    triangle: ['intensity_raw', 'v0_raw', 'v1_raw', 'v2_raw'],
  };
  const codes: Record<string, number> = { circle: 0, ellipse: 1, triangle: 2 };
  const evaluation = golden.evals[0];
  const types = golden.scene.map((s: { type: string }) => codes[s.type]);
  const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
  const softplus = (x: number): number => Math.log1p(Math.exp(x));
  const transform = (field: string): ((x: number) => number) =>
    /radius|rx_|ry_/.test(field) ? softplus : field === 'rotation_raw' ? (x) => x : sigmoid;
  const values = golden.scene.flatMap((s: { type: string }, i: number) =>
    fields[s.type].flatMap((f) => evaluation.raw_params[i][f].map((x: number) => transform(f)(Math.fround(x)))),
  );
  return {
    side: golden.resolution as number,
    target,
    types,
    values,
    tau: evaluation.tau as number,
    breakdown: evaluation.breakdown as Record<string, number>,
  };
}

test('the page is cross-origin isolated and the SIMD threads build is chosen', async ({ enginePage }) => {
  const info = await enginePage.evaluate(async () => {
    const { createEngine } = (window as any).pelican;
    const engine = createEngine();
    try {
      return { isolated: crossOriginIsolated, info: await engine.info() };
    } finally {
      engine.terminate();
    }
  });
  expect(info).toEqual({ isolated: true, info: expect.objectContaining({ flavour: 'simd-threads' }) });
});

test('evaluate in Chromium matches the golden loss of the original', async ({ enginePage }) => {
  const golden = goldenCase();
  const result = await enginePage.evaluate(async (g) => {
    const { createEngine } = (window as any).pelican;
    const engine = createEngine();
    try {
      await engine.init(g.side, g.side);
      const pixels = Float32Array.from(g.target);
      await engine.setTarget(pixels);
      const detached = pixels.byteLength === 0;
      await engine.setScene(Int32Array.from(g.types), Float64Array.from(g.values), Float64Array.of(1));
      const { breakdown, gradients } = await engine.evaluate(g.tau);
      return { detached, breakdown, gradientCount: gradients.length };
    } finally {
      engine.terminate();
    }
  }, golden);
  expect(result.detached).toBe(true);
  expect(result.gradientCount).toBe(golden.values.length);
  for (const [key, expected] of Object.entries(golden.breakdown)) {
    expect(Math.abs(result.breakdown[key] - expected), key).toBeLessThanOrEqual(
      Math.max(1e-4, 1e-2 * Math.abs(expected)),
    );
  }
});

test('optimize streams throttled progress with previews, and cancel stops it', async ({ enginePage }) => {
  const golden = goldenCase();
  const run = await enginePage.evaluate(async (g) => {
    const engine = await (window as any).goldenEngine(g);
    try {
      const seen: { step: number; preview: boolean }[] = [];
      const started = performance.now();
      const result = await engine.optimize({ steps: 1_000_000, previewEvery: 5, previewSize: 64 }, (p: any) => {
        seen.push({ step: p.step, preview: !!p.preview && p.preview.pixels.length === 64 * 64 });
        if (p.step >= 50) engine.cancel();
      });
      return {
        seen,
        elapsed: performance.now() - started,
        cancelled: result.cancelled,
        steps: result.stepsCompleted,
        history: result.history.length,
      };
    } finally {
      engine.terminate();
    }
  }, golden);
  expect(run.cancelled).toBe(true);
  expect(run.steps).toBeGreaterThanOrEqual(50);
  expect(run.history).toBe(run.steps * 7);
  expect(run.seen.length).toBeLessThanOrEqual(Math.ceil(run.elapsed / 16) + 2);
  expect(run.seen.some((p) => p.preview)).toBe(true);
});

test('an abort inside Wasm surfaces as EngineCrashed and the replacement worker has the scene', async ({
  enginePage,
}) => {
  const golden = goldenCase();
  const outcome = await enginePage.evaluate(async (g) => {
    const engine = await (window as any).goldenEngine(g);
    try {
      const before = (await engine.evaluate(g.tau)).breakdown.total;
      let name = 'none';
      try {
        await engine.debugAbort();
      } catch (error) {
        name = (error as Error).name;
      }
      const after = (await engine.evaluate(g.tau)).breakdown.total;
      return { name, before, after, generation: engine.generation };
    } finally {
      engine.terminate();
    }
  }, golden);
  expect(outcome.name).toBe('EngineCrashed');
  expect(outcome.generation).toBe(2);
  expect(outcome.after).toBe(outcome.before);
});

test('bad input is an EngineError with the C++ message, not a trap', async ({ enginePage }) => {
  const error = await enginePage.evaluate(async () => {
    const { createEngine } = (window as any).pelican;
    const engine = createEngine();
    try {
      await engine.init(16, 16);
      await engine.setScene(new Int32Array([7]), new Float64Array(4), Float64Array.of(1));
      return null;
    } catch (e) {
      return { name: (e as Error).name, message: (e as Error).message, generation: engine.generation };
    } finally {
      engine.terminate();
    }
  });
  expect(error).toMatchObject({ name: 'EngineError', generation: 1 });
  expect(error!.message).toMatch(/type/i);
});
