// The Embind surface, called directly in this thread: every registered name is called at least
// once (the list is read from cpp/bindings/embind.cpp, so a new binding without a test fails),
// and every call that can be rejected returns {ok:false, message} instead of throwing.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { PelicanModuleFactory, PelicanWasmModule, WasmEngine } from '../../workers/pelican-wasm.js';
import { ENGINE_METHODS, MODULE_FUNCTIONS, VALUE_OBJECTS } from './bound-names.js';
import { ROOT, initialPelican, initialPelicanRaw, readPgm } from './fixtures.js';
import { DEFAULT_WEIGHTS, OPTIMIZE_DEFAULTS } from '../../workers/protocol.js';

const FLAVOURS = ['simd-threads', 'simd', 'baseline'] as const;
const bindingsSource = readFileSync(join(ROOT, 'cpp', 'bindings', 'embind.cpp'), 'utf8');
const table = bindingsSource.slice(bindingsSource.indexOf('EMSCRIPTEN_BINDINGS'));
const boundMethods = [...table.matchAll(/\.function\("(\w+)"/g)].map((m) => m[1]).sort();
const boundFunctions = [...table.matchAll(/^\s*function\("(\w+)"/gm)].map((m) => m[1]).sort();
const boundValues = [...table.matchAll(/value_object<\w+>\("(\w+)"\)/g)].map((m) => m[1]).sort();

async function loadModule(flavour: (typeof FLAVOURS)[number]): Promise<PelicanWasmModule> {
  const base = join(ROOT, 'build', 'wasm', `pelican-${flavour}`);
  // Emscripten 3.1.6's pthreads glue calls require() and reads __dirname even as an ES module.
  const globals = globalThis as { require?: unknown; __dirname?: string };
  globals.require ??= createRequire(pathToFileURL(`${base}.mjs`));
  globals.__dirname ??= join(ROOT, 'build', 'wasm');
  const factory = ((await import(pathToFileURL(`${base}.mjs`).href)) as { default: PelicanModuleFactory }).default;
  return factory({
    wasmBinary: readFileSync(`${base}.wasm`),
    printErr: () => undefined,
    mainScriptUrlOrBlob: pathToFileURL(`${base}.mjs`).href,
  });
}

const called = new Set<string>();

/** Records the name of every function called through the returned object. */
function recording<T extends object>(target: T, prefix: string): T {
  return new Proxy(target, {
    get(object, key) {
      const value = Reflect.get(object, key);
      // Classes (Engine) are constructed, not called; their instances are wrapped separately.
      if (typeof key !== 'string' || typeof value !== 'function' || /^[A-Z]/.test(key)) return value;
      return (...args: unknown[]) => {
        called.add(prefix + key);
        return (value as (...a: unknown[]) => unknown).apply(object, args);
      };
    },
  });
}

describe('the binding table and its declaration agree', () => {
  test('class methods', () => expect(boundMethods).toEqual(Object.keys(ENGINE_METHODS).sort()));
  test('free functions', () => expect(boundFunctions).toEqual(Object.keys(MODULE_FUNCTIONS).sort()));
  test('value objects', () => expect(boundValues).toEqual([...VALUE_OBJECTS].sort()));
});

describe.each(FLAVOURS)('%s build', (flavour) => {
  let module: PelicanWasmModule;
  let engine: WasmEngine;
  const W = 32;
  const H = 32;

  beforeAll(async () => {
    module = recording(await loadModule(flavour), '');
    engine = recording(new module.Engine(), 'Engine.');
  });
  afterAll(() => engine?.delete());

  test('free functions', () => {
    expect(module.buildFlavour()).toBe(flavour);
    // One thread here: helper threads in this (test) thread are the client's business.
    const most = flavour === 'simd-threads' ? Math.min(availableParallelism(), 16) : 1;
    expect(module.maxThreads()).toBe(most);
    expect(module.setThreads(0)).toBe(1);
    expect(module.setThreads(1)).toBe(1);
    expect(module.threads()).toBe(1);
    const model = module.shapeModel();
    expect(model.types.map((t) => [t.name, t.code, t.geometry.length])).toEqual([
      ['circle', 0, 3],
      ['ellipse', 1, 5],
      ['triangle', 2, 6],
    ]);
    expect(model.types[0].geometry[2]).toEqual({
      name: 'r',
      transform: 'positive',
      min: 0,
      max: 4,
      exclusiveMin: true,
    });
    expect(model.types[2].geometry[3].name).toBe('points[1][1]');
    expect([model.intensity.transform, model.color.transform, model.opacity.transform]).toEqual([
      'paint',
      'paint',
      'unit',
    ]);
  });

  test('setup calls accept good input and reject bad input with a message', () => {
    const gray = { channels: 1, opacity: false, fitBackground: false };
    expect(engine.init(0, 10, gray)).toMatchObject({ ok: false, message: expect.stringMatching(/init/) });
    expect(engine.init(W, H, { ...gray, channels: 2 })).toMatchObject({
      ok: false,
      message: expect.stringMatching(/channels/),
    });
    expect(engine.init(W, H, gray)).toEqual({ ok: true, message: '' });
    expect(engine.channels()).toBe(1);
    expect([engine.width(), engine.height()]).toEqual([W, H]);

    const target = readPgm('pelican-engraving-64.pgm').pixels.filter(
      (_, i) => i % 2 === 0 && Math.floor(i / 64) % 2 === 0,
    );
    engine.floatInput(target.length).set(target);
    expect(engine.setTarget(W * H).ok).toBe(true);
    expect(engine.setTarget(W * H + 1)).toMatchObject({ ok: false, message: expect.stringMatching(/setTarget/) });

    const { types, values } = initialPelican();
    engine.intInput(types.length).set(types);
    const staged = engine.doubleInput(values.length + 1);
    staged.set(values);
    staged[values.length] = 1;
    expect(engine.setScene(types.length, values.length, 1).ok).toBe(true);
    expect(engine.shapeCount()).toBe(types.length);
    expect(engine.valueCount()).toBe(values.length);
    // Constrained values in, constrained values out: the raw floats behind them are the golden ones.
    const back = engine.values();
    const { raw } = initialPelicanRaw();
    expect(back.length).toBe(raw.length);
    for (let i = 0; i < values.length; i++) expect(Math.abs(back[i] - values[i])).toBeLessThan(1e-6);
    expect(Array.from(engine.background())).toEqual([1]);
    expect(engine.setScene(types.length + 1, values.length, 1).ok).toBe(false);
    engine.doubleInput(values.length + 1).set([...values.slice(0, -1), 1e5, 1]);
    expect(engine.setScene(types.length, values.length, 1)).toMatchObject({
      ok: false,
      message: expect.stringMatching(/shapes\[8\]\.rotation|outside/),
    });
    engine.doubleInput(values.length + 1).set([...values, 1]);
    expect(engine.setScene(types.length, values.length, 1).ok).toBe(true);

    engine.byteInput(types.length).fill(0);
    expect(engine.setFrozen(types.length).ok).toBe(true);
    expect(engine.setFrozen(types.length + 1).ok).toBe(false);

    // A window needs the structural terms off; it is refused with them on, and cleared again.
    expect(engine.setWindow(0, 0, 8, 8)).toMatchObject({
      ok: false,
      message: expect.stringMatching(/weights\.edge = 0/),
    });
    expect(engine.setWeights({ perimeter: 0.001, degeneracy: 0.1, canvas: 1, edge: 0, ssim: 0 }).ok).toBe(true);
    expect(engine.setWindow(0, 0, 8, 8).ok).toBe(true);
    expect(engine.clearWindow().ok).toBe(true);

    expect(engine.setWeights({ perimeter: 0.001, degeneracy: 0.1, canvas: 1, edge: 0.1, ssim: 0.05 }).ok).toBe(true);
  });

  test('evaluate and render leave their results in heap views', () => {
    const evaluation = engine.evaluate(1 / W, true);
    expect(evaluation.ok).toBe(true);
    expect(Object.keys(evaluation.breakdown).sort()).toEqual([
      'canvas',
      'degeneracy',
      'edge',
      'mse',
      'perimeter',
      'ssim',
      'total',
    ]);
    expect(evaluation.breakdown.total).toBeGreaterThan(0);
    const gradients = engine.gradients();
    expect(gradients.length).toBe(engine.valueCount());
    expect(gradients.some((g) => g !== 0)).toBe(true);

    expect(engine.render(1 / W, 16, 8).ok).toBe(true);
    const pixels = engine.pixels();
    expect(pixels.length).toBe(16 * 8);
    expect(pixels.every((p) => p >= 0 && p <= 1)).toBe(true);
    expect(engine.render(1 / W, 0, 8)).toMatchObject({ ok: false, message: expect.stringMatching(/render/) });
  });

  test('a view taken before memory grows is stale afterwards (so the worker re-takes views)', () => {
    const before = engine.floatInput(16);
    expect(before.length).toBe(16);
    const heapBefore = module.HEAPU8.buffer;
    expect(engine.render(1 / W, 2048, 2048).ok).toBe(true); // 16 MB more than the initial heap
    if (flavour === 'simd-threads') {
      // Shared memory is never detached: the old view keeps its length over the old, smaller
      // buffer, so only a view taken after the call covers the grown heap.
      expect(before.buffer).toBe(heapBefore);
      expect(engine.pixels().buffer.byteLength).toBeGreaterThan(heapBefore.byteLength);
    } else {
      expect(before.length).toBe(0);
    }
    expect(engine.pixels().length).toBe(2048 * 2048);
  });

  test('propose places shapes on the residual without touching the scene', () => {
    const before = Array.from(engine.values());
    const options = { count: 3, candidates: 64, mutations: 32, seed: 7, typeMask: 7 };
    expect(engine.propose(options, 1 / W)).toEqual({ ok: true, message: '' });
    const types = Array.from(engine.proposedTypes());
    const values = engine.proposedValues();
    expect(types.length).toBeGreaterThan(0);
    expect(types.every((t) => t >= 0 && t <= 2)).toBe(true);
    const model = module.shapeModel();
    const perShape = types.map((t) => 1 + model.types[t].geometry.length);
    expect(values.length).toBe(perShape.reduce((a, b) => a + b, 0));
    expect(Array.from(engine.values())).toEqual(before);
    expect(engine.propose({ ...options, typeMask: 0 }, 1 / W)).toMatchObject({
      ok: false,
      message: expect.stringMatching(/type_mask/),
    });
  });

  test("the protocol's defaults are the engine's own", () => {
    const { defaults } = module.shapeModel();
    expect(defaults.weights).toEqual(
      Object.fromEntries(Object.entries(DEFAULT_WEIGHTS).map(([k, v]) => [k, Math.fround(v)])),
    );
    expect(defaults.lr).toBe(Math.fround(OPTIMIZE_DEFAULTS.lr));
    expect(defaults.clipNorm).toBe(OPTIMIZE_DEFAULTS.clipNorm);
  });

  test('optimisation runs in chunks and keeps a flat history', () => {
    const options = { steps: 5, lr: 0.02, tauStart: 0, tauEnd: 0, clipNorm: 1 };
    expect(engine.optimizeBegin({ ...options, steps: -1 }).ok).toBe(false);
    expect(engine.optimizeBegin(options).ok).toBe(true);
    expect(engine.optimizeSteps(0).ok).toBe(false);
    expect(engine.optimizeSteps(2)).toMatchObject({ ok: true, steps: 2, finished: false });
    expect(engine.optimizeSteps(10)).toMatchObject({ ok: true, steps: 3, finished: true });
    const history = engine.history();
    expect(history.length).toBe(5 * 7);
    expect(engine.optimizeEnd().ok).toBe(true);
    expect(engine.stepsCompleted()).toBe(5);
    const totals = Array.from({ length: 5 }, (_, i) => history[i * 7 + 6]);
    expect(engine.bestLoss()).toBeCloseTo(Math.min(...totals), 6);
  });

  test('debugAbort traps instead of returning', async () => {
    // A fresh instance: after an abort the module's memory is in an unknown state.
    const doomed = recording(await loadModule(flavour), '');
    expect(() => doomed.debugAbort()).toThrow(/Aborted/);
  });
});

test('every bound name was called', () => {
  const expected = [...boundFunctions, ...boundMethods.map((name) => `Engine.${name}`)].sort();
  expect(expected.filter((name) => !called.has(name))).toEqual([]);
});
