// Benchmark inputs: targets read from the shared PGMs, and the 9- and 35-shape scenes as
// constrained values. The 35-shape scene mirrors the native benchmark (cpp/bench) so the tables
// compare. Every function takes the engine's shape table (shapeModel()).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const targetsDir = resolve(root, process.env.PELICAN_TARGETS ?? '../shared/targets');

export function readPgm(side) {
  const bytes = readFileSync(join(targetsDir, `pelican-engraving-${side}.pgm`));
  const text = new TextDecoder('latin1').decode(bytes.subarray(0, 64));
  const match = text.match(/^P5\s+(\d+)\s+(\d+)\s+255\s/);
  if (!match) throw new Error(`pelican-engraving-${side}.pgm: expected a P5 PGM with maxval 255 and no comments`);
  const offset = match[0].length;
  const pixels = new Float32Array(Number(match[1]) * Number(match[2]));
  for (let i = 0; i < pixels.length; i++) pixels[i] = bytes[offset + i] / 255;
  return pixels;
}

// Shapes are written as in a scene file ({ type: 'circle', cx, cy, r, paint, opacity }); their
// type codes and the order of their values come from the engine's table (shapeModel(), as
// workers/protocol.ts describes it), so nothing here restates the layout.
function encoder(shapeModel) {
  const byName = new Map(shapeModel.types.map((t) => [t.name, t]));
  // A field's JSON path ("cx", "points[1][0]") read from a shape object.
  const read = (shape, path) => {
    const [, key, indices] = path.match(/^(\w+)((?:\[\d+\])*)$/);
    let value = shape[key];
    for (const [, i] of indices.matchAll(/\[(\d+)\]/g)) value = value[Number(i)];
    if (typeof value !== 'number') throw new Error(`scenes.mjs: ${shape.type} has no number at ${path}`);
    return value;
  };
  return (shape) => {
    const spec = byName.get(shape.type);
    if (!spec) throw new Error(`scenes.mjs: the engine has no shape type '${shape.type}'`);
    const values = [...shape.paint, ...(shape.opacity === undefined ? [] : [shape.opacity])];
    for (const field of spec.geometry) values.push(read(shape, field.name));
    return { type: spec.code, values };
  };
}

/** The native benchmark's generator (cpp/bench/bench.cpp, Lcg): 64-bit LCG, 53-bit doubles. */
function generator(seed) {
  let state = BigInt(seed);
  const mask = (1n << 64n) - 1n;
  return () => {
    state = (state * 6364136223846793005n + 1442695040888963407n) & mask;
    return Number(state >> 11n) * (1 / 9007199254740992);
  };
}

/**
 * The engine's initial pelican plus `extra` pseudo-random shapes cycling circle → ellipse →
 * triangle, drawn in the same order and ranges as add_random_shapes() in cpp/bench/bench.cpp.
 */
export function benchScene(shapeModel, extra, seed = 42) {
  const next = generator(seed);
  const uniform = (lo, hi) => lo + (hi - lo) * next();
  const clamp = (x, lo, hi) => Math.min(Math.max(x, lo), hi);
  const encode = encoder(shapeModel);
  const shapes = shapeModel.initialPelican.map(({ type, values }) => ({ type, values: [...values] }));
  for (let i = 0; i < extra; i++) {
    const kind = i % 3;
    const cx = uniform(0.15, 0.85);
    const cy = uniform(0.15, 0.85);
    const paint = [uniform(0.05, 0.55)];
    if (kind === 0) {
      shapes.push(encode({ type: 'circle', cx, cy, r: 0.08 * uniform(0.5, 1.5), paint }));
    } else if (kind === 1) {
      const rx = 0.08 * uniform(0.5, 2.0);
      const ry = 0.08 * uniform(0.3, 1.5);
      shapes.push(encode({ type: 'ellipse', cx, cy, rx, ry, rotation: uniform(-1.5, 1.5), paint }));
    } else {
      const points = [];
      for (let v = 0; v < 3; v++) {
        const x = clamp(cx + uniform(-0.16, 0.16), 0.05, 0.95);
        const y = clamp(cy + uniform(-0.16, 0.16), 0.05, 0.95);
        points.push([x, y]);
      }
      shapes.push(encode({ type: 'triangle', points, paint }));
    }
  }
  return { types: shapes.map((s) => s.type), values: shapes.flatMap((s) => s.values), background: [1] };
}

/**
 * A picture as a vectorize result would approximate it, for the colour model with opacity:
 * vectorize_scene() in cpp/bench/bench.cpp, draw for draw.
 */
export function vectorizeScene(shapeModel, count, seed = 7) {
  const next = generator(seed);
  const uniform = (lo, hi) => lo + (hi - lo) * next();
  const clamp = (x, lo, hi) => Math.min(Math.max(x, lo), hi);
  const encode = encoder(shapeModel);
  const shapes = [];
  for (let i = 0; i < count; i++) {
    const big = i < 4;
    const kind = big ? 1 : i % 3;
    const cx = uniform(0.02, 0.98);
    const cy = uniform(0.02, 0.98);
    const size = big ? uniform(0.15, 0.4) : (0.12 / Math.sqrt(1 + i / 4)) * uniform(0.4, 1.6);
    const paint = [uniform(0.05, 0.95), uniform(0.05, 0.95), uniform(0.05, 0.95)];
    const opacity = uniform(0.5, 1.0);
    if (kind === 0) {
      shapes.push(encode({ type: 'circle', cx, cy, r: size, paint, opacity }));
    } else if (kind === 1) {
      const ry = size * uniform(0.3, 1.0);
      shapes.push(encode({ type: 'ellipse', cx, cy, rx: size, ry, rotation: uniform(-1.5, 1.5), paint, opacity }));
    } else {
      const points = [];
      for (let v = 0; v < 3; v++) {
        const x = clamp(cx + size * uniform(-1.5, 1.5), 0, 1);
        const y = clamp(cy + size * uniform(-1.5, 1.5), 0, 1);
        points.push([x, y]);
      }
      shapes.push(encode({ type: 'triangle', points, paint, opacity }));
    }
  }
  return { types: shapes.map((s) => s.type), values: shapes.flatMap((s) => s.values), background: [0.8, 0.75, 0.7] };
}

/** The engraving at `side` as the native benchmark's load_target() makes it: the shared PGM,
 * or the one at half the side pixel-doubled (512² from the 256² file). */
function benchTarget(side) {
  const half = side / 2;
  if (existsSync(join(targetsDir, `pelican-engraving-${side}.pgm`)) || !Number.isInteger(half)) return readPgm(side);
  const small = readPgm(half);
  const out = new Float32Array(side * side);
  for (let y = 0; y < side; y++) for (let x = 0; x < side; x++) out[y * side + x] = small[(y >> 1) * half + (x >> 1)];
  return out;
}

/**
 * The configurations of the native benchmark (cpp/bench/bench.cpp main): the original's model on
 * the pelican scenes, and vectorize's model (colour, opacity, fitted background) on
 * vectorizeScene(), each with its target and scene as plain arrays (they cross into a page).
 */
export const PELICAN_CONFIGS = { resolutions: [64, 128, 256, 512], shapes: [9, 35] };
export const VECTORIZE_CONFIGS = { resolutions: [128, 256, 512], shapes: [35, 100, 200, 500] };

export function benchInputs(shapeModel, only = {}) {
  const wanted = (list, values) => values.filter((v) => !list || list.includes(v));
  const configs = [];
  for (const [scene, table] of [
    ['pelican', PELICAN_CONFIGS],
    ['vectorize', VECTORIZE_CONFIGS],
  ])
    for (const resolution of wanted(only.resolutions, table.resolutions))
      for (const shapes of wanted(only.shapes, table.shapes)) configs.push({ scene, resolution, shapes });
  const sides = [...new Set([...configs.map((c) => c.resolution), 128])];
  const gray = Object.fromEntries(sides.map((side) => [side, benchTarget(side)]));
  // Colour planes from the engraving, tinted so the channels differ (as cpp/bench does).
  const colour = (pixels) => {
    const out = new Array(3 * pixels.length);
    for (let c = 0; c < 3; c++)
      for (let i = 0; i < pixels.length; i++) out[c * pixels.length + i] = pixels[i] * (1 - 0.15 * c) + 0.05 * c;
    return out;
  };
  return {
    configs: configs.map((c) => ({
      ...c,
      model:
        c.scene === 'vectorize'
          ? { channels: 3, opacity: true, fitBackground: true }
          : { channels: 1, opacity: false, fitBackground: false },
      target: c.scene === 'vectorize' ? colour(gray[c.resolution]) : Array.from(gray[c.resolution]),
      // vectorize's weights: every term but the MSE off.
      weights: c.scene === 'vectorize' ? { perimeter: 0, degeneracy: 0, canvas: 0, edge: 0, ssim: 0 } : null,
      ...(c.scene === 'vectorize'
        ? vectorizeScene(shapeModel, c.shapes)
        : benchScene(shapeModel, Math.max(0, c.shapes - shapeModel.initialPelican.length))),
    })),
    // The rpc and pool records: the original's model, 128², the initial pelican.
    small: { target: Array.from(gray[128]), ...benchScene(shapeModel, 0) },
  };
}
