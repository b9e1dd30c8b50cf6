// Shared test inputs: the golden cases computed by the original PyTorch program and the target
// images, read where they live (never copied into the repo).
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const GOLDEN_DIR = resolve(ROOT, process.env.PELICAN_GOLDEN ?? '../shared/golden');
export const TARGETS_DIR = resolve(ROOT, process.env.PELICAN_TARGETS ?? '../shared/targets');

export interface GoldenShape {
  name: string;
  type: 'circle' | 'ellipse' | 'triangle';
}
export type RawShape = Record<string, number[]>;
export interface GoldenEval {
  tau: number;
  breakdown: Record<string, number>;
  render_sum: number;
  render_probe: Record<string, number>;
  raw_params: RawShape[];
  raw_grads: RawShape[];
}
export interface GoldenCase {
  label: string;
  resolution: number;
  target: string;
  scene: GoldenShape[];
  evals: GoldenEval[];
}

export function goldenCases(): GoldenCase[] {
  return JSON.parse(readFileSync(join(GOLDEN_DIR, 'loss-and-gradients.json'), 'utf8')).cases;
}

/** Binary PGM (P5, maxval 255) as floats in [0, 1], the target preparation of the original. */
export function readPgm(name: string): { width: number; height: number; pixels: Float32Array } {
  const bytes = readFileSync(join(TARGETS_DIR, name));
  const header: string[] = [];
  let offset = 0;
  while (header.length < 4) {
    while (/\s/.test(String.fromCharCode(bytes[offset]))) offset++;
    if (bytes[offset] === 0x23) {
      while (bytes[offset] !== 0x0a) offset++;
      continue;
    }
    let token = '';
    while (!/\s/.test(String.fromCharCode(bytes[offset]))) token += String.fromCharCode(bytes[offset++]);
    header.push(token);
  }
  offset++; // the single whitespace byte after maxval
  const [magic, w, h, max] = header;
  if (magic !== 'P5' || max !== '255') throw new Error(`${name}: expected a P5 PGM with maxval 255`);
  const width = Number(w);
  const height = Number(h);
  const pixels = new Float32Array(width * height);
  for (let i = 0; i < pixels.length; i++) pixels[i] = bytes[offset + i] / 255;
  return { width, height, pixels };
}

const TYPE_CODES = { circle: 0, ellipse: 1, triangle: 2 } as const;
const FIELDS = {
  circle: ['intensity_raw', 'cx_raw', 'cy_raw', 'radius_raw'],
  ellipse: ['intensity_raw', 'cx_raw', 'cy_raw', 'rx_raw', 'ry_raw', 'rotation_raw'],
  triangle: ['intensity_raw', 'v0_raw', 'v1_raw', 'v2_raw'],
} as const;

/** The golden per-shape dictionaries flattened into the engine's raw layout. */
export function flatten(scene: GoldenShape[], perShape: RawShape[]): { types: Int32Array; raw: Float32Array } {
  const raw: number[] = [];
  for (let i = 0; i < scene.length; i++) {
    for (const field of FIELDS[scene[i].type]) raw.push(...perShape[i][field]);
  }
  return { types: Int32Array.from(scene, (shape) => TYPE_CODES[shape.type]), raw: Float32Array.from(raw) };
}

// The original's transforms, restated here on purpose: the tests check the engine's against them.
const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
const softplus = (x: number): number => (x > 20 ? x : Math.log1p(Math.exp(x)));
const TRANSFORM: Record<string, (x: number) => number> = {
  intensity_raw: sigmoid,
  cx_raw: sigmoid,
  cy_raw: sigmoid,
  v0_raw: sigmoid,
  v1_raw: sigmoid,
  v2_raw: sigmoid,
  radius_raw: softplus,
  rx_raw: softplus,
  ry_raw: softplus,
  rotation_raw: (x) => x,
};

export interface Scene {
  types: Int32Array;
  values: Float64Array;
  background: Float64Array;
}

/**
 * The golden raw parameters as the constrained values the engine takes (in double, as the
 * original's Python did), over the original's white canvas.
 */
export function goldenScene(scene: GoldenShape[], perShape: RawShape[]): Scene {
  const values: number[] = [];
  for (let i = 0; i < scene.length; i++) {
    for (const field of FIELDS[scene[i].type])
      values.push(...perShape[i][field].map((x) => TRANSFORM[field](Math.fround(x))));
  }
  return {
    types: Int32Array.from(scene, (shape) => TYPE_CODES[shape.type]),
    values: Float64Array.from(values),
    background: Float64Array.of(1),
  };
}

/** The initial 9-shape pelican of the first golden case, in raw layout. */
export function initialPelicanRaw(): { types: Int32Array; raw: Float32Array } {
  const first = goldenCases().find((c) => c.label.startsWith('initial-pelican'))!;
  return flatten(first.scene, first.evals[0].raw_params);
}

/** The initial 9-shape pelican of the first golden case, as the engine takes it. */
export function initialPelican(): Scene {
  const first = goldenCases().find((c) => c.label.startsWith('initial-pelican'))!;
  return goldenScene(first.scene, first.evals[0].raw_params);
}

/** The error a call is rejected with; fails when it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to be rejected');
}
