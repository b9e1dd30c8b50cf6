// The window of one call (PixelWindow on evaluate and optimize) through the real client, worker
// and Wasm: it restricts that call only, refuses what it cannot do, and with a frozen mask
// settles the free shapes alone.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ENGINE_ERROR, createEngine, type EngineClient } from '../../build/workers/client.js';
import { initialPelican, readPgm, rejection } from './fixtures.js';

const SIDE = 64;
const target = readPgm(`pelican-engraving-${SIDE}.pgm`);
const IMAGE_ONLY = { perimeter: 0, degeneracy: 0, canvas: 0, edge: 0, ssim: 0 };

async function prepared(engine: EngineClient): Promise<void> {
  await engine.init(SIDE, SIDE);
  await engine.setTarget(target.pixels.slice());
  const { types, values, background } = initialPelican();
  await engine.setScene(types, values, background);
  await engine.setWeights(IMAGE_ONLY);
}

describe('window', () => {
  let engine: EngineClient;
  beforeAll(async () => {
    engine = createEngine();
    await prepared(engine);
  });
  afterAll(() => engine.terminate());

  test('evaluate on a window scores only its pixels and leaves the next call on the whole canvas', async () => {
    const tau = 0.5 / SIDE;
    const full = await engine.evaluate(tau);
    const whole = await engine.evaluate(tau, { x0: 0, y0: 0, x1: SIDE, y1: SIDE });
    expect(whole.breakdown).toEqual(full.breakdown);
    expect(Array.from(whole.gradients)).toEqual(Array.from(full.gradients));
    const local = await engine.evaluate(tau, { x0: 20, y0: 8, x1: 44, y1: 30 });
    expect(local.breakdown.mse).not.toBe(full.breakdown.mse);
    expect(local.breakdown.total).toBe(local.breakdown.mse);
    // A shape whose soft edge cannot reach the window gets (almost) nothing from it.
    expect(Array.from(local.gradients)).not.toEqual(Array.from(full.gradients));
    const after = await engine.evaluate(tau);
    expect(after.breakdown).toEqual(full.breakdown);
    expect(Array.from(after.gradients)).toEqual(Array.from(full.gradients));
  });

  test('bad windows are refused with EngineError naming what is wrong; the engine carries on', async () => {
    const tau = 0.5 / SIDE;
    const outside = await rejection(engine.evaluate(tau, { x0: SIDE, y0: 0, x1: SIDE + 8, y1: 8 }));
    expect(outside.name).toBe(ENGINE_ERROR);
    expect(outside.message).toMatch(/lies outside the 64x64 canvas/);
    const fractional = await rejection(engine.optimize({ steps: 2, window: { x0: 0.5, y0: 0, x1: 8, y1: 8 } }));
    expect(fractional.name).toBe(ENGINE_ERROR);
    expect(fractional.message).toMatch(/window\.x0 must be an integer/);
    await engine.setWeights({ edge: 0.1, ssim: 0.05 });
    try {
      const structural = await rejection(engine.optimize({ steps: 2, window: { x0: 0, y0: 0, x1: 8, y1: 8 } }));
      expect(structural.name).toBe(ENGINE_ERROR);
      expect(structural.message).toMatch(/a window needs weights\.edge = 0 and weights\.ssim = 0/);
      // Those weights are fine without a window.
      expect((await engine.evaluate(tau)).breakdown.ssim).toBeGreaterThan(0);
    } finally {
      await engine.setWeights(IMAGE_ONLY);
    }
  });

  test('optimize on a window with the rest frozen moves only the free shapes', async () => {
    await prepared(engine);
    const { values: before } = await engine.getScene();
    // The initial pelican: freeze all but the feet (the last of 9); the window is around them.
    const mask = Uint8Array.from([1, 1, 1, 1, 1, 1, 1, 1, 0]);
    await engine.setFrozen(mask);
    const run = await engine.optimize({ steps: 30, window: { x0: 16, y0: 44, x1: 48, y1: 64 } });
    expect(run.stepsCompleted).toBe(30);
    const frozenCount = before.length - 6; // the last shape, the feet, is an ellipse: intensity + 5 values
    expect(Array.from(run.values.slice(0, frozenCount))).toEqual(Array.from(before.slice(0, frozenCount)));
    expect(Array.from(run.values.slice(frozenCount))).not.toEqual(Array.from(before.slice(frozenCount)));
    expect(run.bestLoss).toBeLessThan(run.history[6]);
    // The window ended with the call: a whole-canvas optimize is allowed structural weights again.
    await engine.setWeights({ edge: 0.1, ssim: 0.05 });
    await engine.setWeights(IMAGE_ONLY);
  });
});
