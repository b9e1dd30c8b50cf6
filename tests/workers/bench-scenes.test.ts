// The Wasm benchmark's scenes (workers/bench/scenes.mjs) are built from the engine's own shape
// table: the initial pelican, the type codes and the value layout all come from shapeModel().
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createEngine, shapeValueCount, type EngineClient, type ShapeModel } from '../../build/workers/client.js';
// @ts-expect-error: a plain ES module without types
import { benchScene, vectorizeScene } from '../../workers/bench/scenes.mjs';

let engine: EngineClient;
let model: ShapeModel;
beforeAll(async () => {
  engine = createEngine();
  model = await engine.shapeModel();
});
afterAll(() => engine.terminate());

type Scene = { types: number[]; values: number[]; background: number[] };

test('the 9-shape scene is the engine initial pelican', () => {
  const scene: Scene = benchScene(model, 0);
  expect(scene.types).toEqual(model.initialPelican.map((s) => s.type));
  expect(scene.values).toEqual(model.initialPelican.flatMap((s) => s.values));
});

test('every scene has the engine layout and stays inside its limits', () => {
  const gray = { channels: 1, opacity: false, fitBackground: false } as const;
  const colour = { channels: 3, opacity: true, fitBackground: true } as const;
  for (const [scene, m] of [
    [benchScene(model, 26) as Scene, gray],
    [vectorizeScene(model, 35) as Scene, colour],
  ] as const) {
    expect(new Set(scene.types)).toEqual(new Set(model.types.map((t) => t.code)));
    let at = 0;
    for (const code of scene.types) {
      const spec = model.types.find((t) => t.code === code)!;
      const geometry = scene.values.slice(at + m.channels + (m.opacity ? 1 : 0), at + shapeValueCount(model, m, code));
      expect(geometry.length).toBe(spec.geometry.length);
      spec.geometry.forEach((f, i) => {
        expect(geometry[i]).toBeGreaterThanOrEqual(f.min);
        expect(geometry[i]).toBeLessThanOrEqual(f.max);
      });
      at += shapeValueCount(model, m, code);
    }
    expect(at).toBe(scene.values.length);
  }
});

test('a table with other codes and field order gives scenes in that layout', () => {
  const reordered: ShapeModel = {
    ...model,
    types: model.types.map((t) => ({ ...t, code: t.code + 10, geometry: [...t.geometry].reverse() })),
  };
  const plain: Scene = vectorizeScene(model, 12);
  const other: Scene = vectorizeScene(reordered, 12);
  expect(other.types).toEqual(plain.types.map((c) => c + 10));
  let at = 0;
  for (const code of plain.types) {
    const n = shapeValueCount(model, { channels: 3, opacity: true, fitBackground: true }, code);
    const head = plain.values.slice(at, at + 4);
    expect(other.values.slice(at, at + 4)).toEqual(head);
    expect(other.values.slice(at + 4, at + n)).toEqual(plain.values.slice(at + 4, at + n).reverse());
    at += n;
  }
});
