// The pthreads build (simd-threads) in real Node worker threads: it is what Node picks, one step
// split across threads gives bit for bit what the single-threaded build gives, the fallback
// (forced single thread, or no SharedArrayBuffer at all) loads the single-threaded build and
// works, and engines share the cores: the thread count follows the number of busy engines.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createEngine, createEnginePool, type EngineClient, type Model } from '../../build/workers/client.js';
import { ROOT, initialPelican, readPgm } from './fixtures.js';

const CORES = availableParallelism();
const MAX_THREADS = Math.min(CORES, 16);

/** The initial pelican plus `extra` circles and ellipses in the layout of `model`. */
function scene(model: Model, extra: number): { types: Int32Array; values: Float64Array; background: Float64Array } {
  const base = initialPelican();
  const types = Array.from(base.types);
  const values: number[] = [];
  let o = 0;
  // Re-lay the pelican's gray values: paint channels, opacity, then geometry.
  const geometry = [3, 5, 6];
  for (const t of base.types) {
    const intensity = base.values[o];
    for (let c = 0; c < model.channels; c++) values.push(Math.min(0.95, intensity + 0.1 * c));
    if (model.opacity) values.push(0.8);
    for (let g = 1; g <= geometry[t]; g++) values.push(base.values[o + g]);
    o += 1 + geometry[t];
  }
  let seed = 12345;
  const next = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (let i = 0; i < extra; i++) {
    const ellipse = i % 2 === 1;
    types.push(ellipse ? 1 : 0);
    for (let c = 0; c < model.channels; c++) values.push(0.1 + 0.8 * next());
    if (model.opacity) values.push(0.3 + 0.6 * next());
    values.push(0.15 + 0.7 * next(), 0.15 + 0.7 * next(), 0.03 + 0.08 * next());
    if (ellipse) values.push(0.03 + 0.06 * next(), next() * 3 - 1.5);
  }
  const background = Float64Array.from({ length: model.channels }, (_, c) => 0.9 - 0.2 * c);
  return { types: Int32Array.from(types), values: Float64Array.from(values), background };
}

function targetFor(width: number, height: number, channels: number): Float32Array {
  const source = readPgm('pelican-engraving-128.pgm').pixels;
  const out = new Float32Array(width * height * channels);
  for (let i = 0; i < out.length; i++) out[i] = source[(i * 7919) % source.length];
  return out;
}

async function run(engine: EngineClient, model: Model, width: number, height: number) {
  await engine.init(width, height, model);
  await engine.setTarget(targetFor(width, height, model.channels));
  const s = scene(model, 26);
  await engine.setScene(s.types, s.values, s.background);
  const evaluated = await engine.evaluate(0.7 / Math.max(width, height));
  const render = await engine.render(0.5 / Math.max(width, height), width, height);
  const optimized = await engine.optimize({ steps: 15 });
  return { evaluated, render, optimized };
}

describe('the threads build', () => {
  let threaded: EngineClient;
  let single: EngineClient;
  beforeAll(async () => {
    threaded = createEngine();
    single = createEngine({ singleThread: true });
    // Both loaded and idle before any test counts busy engines.
    await Promise.all([threaded.info(), single.info()]);
  });
  afterAll(() => {
    threaded.terminate();
    single.terminate();
  });

  test('Node picks it, and one busy engine gets every core', async () => {
    const info = await threaded.info();
    expect(info).toMatchObject({ flavour: 'simd-threads', maxThreads: MAX_THREADS });
    // Alone (the other engine is idle), this engine's share is all the cores.
    expect(info.threads).toBe(MAX_THREADS);
  });

  test('forcing a single thread loads the single-threaded SIMD build', async () => {
    expect(await single.info()).toMatchObject({ flavour: 'simd', threads: 1, maxThreads: 1 });
  });

  test.each([
    ['gray, the original model', { channels: 1, opacity: false, fitBackground: false }, 128, 96],
    ['colour with opacity and background', { channels: 3, opacity: true, fitBackground: true }, 100, 61],
  ] as const)('split across threads it agrees bit for bit with one thread: %s', async (_, model, width, height) => {
    // One after the other, so each runs alone and the threaded one really uses every core.
    const a = await run(threaded, model, width, height);
    expect((await threaded.info()).threads).toBe(MAX_THREADS);
    const b = await run(single, model, width, height);
    expect(a.evaluated.breakdown).toEqual(b.evaluated.breakdown);
    expect(Array.from(a.evaluated.gradients)).toEqual(Array.from(b.evaluated.gradients));
    expect(Array.from(a.render)).toEqual(Array.from(b.render));
    expect(Array.from(a.optimized.history)).toEqual(Array.from(b.optimized.history));
    expect(Array.from(a.optimized.values)).toEqual(Array.from(b.optimized.values));
    expect(a.optimized.stepsCompleted).toBe(15);
  });

  test('a thread cap is honoured and changes nothing in the result', async () => {
    const capped = createEngine({ threads: 1 });
    try {
      const model = { channels: 1, opacity: false, fitBackground: false } as const;
      const a = await run(capped, model, 72, 64);
      expect(await capped.info()).toMatchObject({ flavour: 'simd-threads', threads: 1 });
      const b = await run(threaded, model, 72, 64);
      expect(Array.from(a.optimized.values)).toEqual(Array.from(b.optimized.values));
    } finally {
      capped.terminate();
    }
  });
});

describe('sharing the cores', () => {
  test('two busy engines split the cores; the one left working gets them all back', async () => {
    const pool = createEnginePool({ size: 2 });
    try {
      expect(pool.threadsPerEngine).toBe(Math.max(1, Math.floor(CORES / 2)));
      const [a, b] = await Promise.all([pool.acquire(), pool.acquire()]);
      await Promise.all([a.info(), b.info()]);
      await a.init(128, 128);
      await a.setTarget(targetFor(128, 128, 1));
      const s = scene({ channels: 1, opacity: false, fitBackground: false }, 20);
      await a.setScene(s.types, s.values, s.background);
      // A long optimisation keeps `a` busy until it is cancelled; `b`'s call makes two busy.
      const long = a.optimize({ steps: 1_000_000 });
      const whileBoth = await b.info();
      a.cancel();
      const result = await long;
      expect(result.cancelled).toBe(true);
      expect(whileBoth.threads).toBe(Math.min(MAX_THREADS, Math.max(1, Math.floor(CORES / 2))));
      // Now only `b` is busy (its own call): every core again.
      expect((await b.info()).threads).toBe(MAX_THREADS);
      pool.release(a);
      pool.release(b);
    } finally {
      pool.terminate();
    }
  });
});

test('without SharedArrayBuffer the client falls back to the single-threaded build and works', () => {
  // V8 can drop SharedArrayBuffer for a whole process only: a child Node runs the client.
  const script = `
    const client = await import(${JSON.stringify(join(ROOT, 'build', 'workers', 'client.js'))});
    const engine = client.createEngine();
    await engine.init(32, 32);
    await engine.setTarget(new Float32Array(32 * 32).fill(0.5));
    const c = Int32Array.of(0), v = Float64Array.of(0.3, 0.5, 0.5, 0.2), bg = Float64Array.of(1);
    await engine.setScene(c, v, bg);
    const run = await engine.optimize({ steps: 5 });
    const info = await engine.info();
    engine.terminate();
    console.log(JSON.stringify({ sab: typeof SharedArrayBuffer, flavour: info.flavour, threads: info.threads, steps: run.stepsCompleted, loss: run.bestLoss }));
    process.exit(0);
  `;
  // A file, not -e: worker threads inherit the parent's flags, and --input-type breaks them.
  const dir = join(ROOT, 'build', 'test-results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'no-shared-memory.mjs');
  writeFileSync(file, script);
  const child = spawnSync(process.execPath, ['--no-harmony-sharedarraybuffer', file], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  expect(child.stderr).not.toMatch(/Error/);
  const answer = JSON.parse(child.stdout.trim().split('\n').pop() ?? '{}');
  expect(answer).toMatchObject({ sab: 'undefined', flavour: 'simd', threads: 1, steps: 5 });
  expect(Number.isFinite(answer.loss)).toBe(true);
});

test('PELICAN_THREADS lets a Node host choose: single, a cap, or a clear refusal', () => {
  const script = `
    const client = await import(${JSON.stringify(join(ROOT, 'build', 'workers', 'client.js'))});
    try {
      const engine = client.createEngine();
      const info = await engine.info();
      engine.terminate();
      console.log(JSON.stringify({ flavour: info.flavour, threads: info.threads }));
    } catch (error) {
      console.log(JSON.stringify({ error: error.message }));
    }
    process.exit(0);
  `;
  const dir = join(ROOT, 'build', 'test-results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'host-threads.mjs');
  writeFileSync(file, script);
  const answer = (value: string) => {
    const child = spawnSync(process.execPath, [file], {
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, PELICAN_THREADS: value },
    });
    return JSON.parse(child.stdout.trim().split('\n').pop() ?? '{}');
  };
  expect(answer('single')).toEqual({ flavour: 'simd', threads: 1 });
  expect(answer('1')).toEqual({ flavour: 'simd-threads', threads: 1 });
  expect(answer('auto')).toEqual({ flavour: 'simd-threads', threads: MAX_THREADS });
  expect(answer('two').error).toMatch(/PELICAN_THREADS must be .* got "two"/);
});
