// The page's view of a scene: the pelican-scene JSON document (the format py/pelican reads and
// writes, versions 1 and 2), its validation and its layout as the engine's constrained values
// (workers/protocol.ts). Types, fields and limits come from the engine's table (model.ts); the
// verdicts are py/pelican/scene.py's, so whatever the page accepts Python can export.
// Everything richer is py/pelican's: the searches, LLM edits, and SVG files.
import { luma, parseHex, toHex, type Rgb } from './color';
import {
  fieldProblem,
  getField,
  putField,
  shapeModel,
  shapeType,
  typeKeys,
  type Model,
  type ShapeTypeSpec,
} from './model';

/** A shape object as files hold it: its type's geometry keys (cx, r, points, …) plus these. */
export interface Shape {
  name: string;
  type: string;
  /** Gray paint (0 black, 1 white); a shape has this or `color`. */
  intensity?: number;
  /** "#rrggbb" (version 2). */
  color?: string;
  /** In [0, 1]; absent means opaque (version 2). */
  opacity?: number;
  frozen?: boolean;
  cx?: number;
  cy?: number;
  r?: number;
  rx?: number;
  ry?: number;
  rotation?: number;
  points?: [number, number][];
  [geometry: string]: unknown;
}

export interface Scene {
  format: 'pelican-scene';
  version: 1 | 2;
  width: number;
  height: number;
  /** "#rrggbb" canvas colour (version 2; version 1 is white). */
  background?: string;
  shapes: Shape[];
}

export class SceneError extends Error {
  override name = 'SceneError';
}

const WHITE = '#ffffff';
const MAX_SIDE = 4096;
const MAX_SHAPES = 1000;
const MAX_NAME = 64;

/** A shape of table type `spec` from its constrained values under the original's model (intensity, then geometry). */
function shapeFromValues(spec: ShapeTypeSpec, name: string, values: readonly number[]): Shape {
  const shape: Shape = { name, type: spec.name, intensity: values[0] };
  const zeros = (dims: number[]): unknown =>
    dims.length ? Array.from({ length: dims[0] }, () => zeros(dims.slice(1))) : 0;
  for (const [key, dims] of typeKeys(spec)) shape[key] = zeros(dims);
  spec.geometry.forEach((f, i) => putField(shape, f, values[1 + i]));
  return shape;
}

/** The original's starting pelican (the engine's table holds it) fitted into a W×H canvas (normalised units span [0,W/S]×[0,H/S]). */
export function initialScene(width: number, height: number): Scene {
  const s = Math.max(width, height);
  const ax = width / s;
  const ay = height / s;
  const k = Math.min(ax, ay);
  const table = shapeModel();
  const shapes = table.initialPelican.map(({ name, type, values }) => {
    const c = shapeFromValues(
      table.types.find((t) => t.code === type)!,
      name,
      values,
    );
    if (c.points) c.points = c.points.map(([x, y]) => [x * ax, y * ay]);
    else {
      c.cx! *= ax;
      c.cy! *= ay;
      for (const key of ['r', 'rx', 'ry'] as const) if (typeof c[key] === 'number') c[key]! *= k;
    }
    return c;
  });
  return { format: 'pelican-scene', version: 1, width, height, shapes };
}

// ---------------------------------------------------------------------------------------------
// Paint

/** A shape's colour (a gray shape's three equal channels). */
export function paintOf(s: Shape): Rgb {
  if (s.color) return parseHex(s.color) ?? [0, 0, 0];
  const v = s.intensity ?? 0;
  return [v, v, v];
}

export function backgroundOf(scene: Scene): Rgb {
  return parseHex(scene.background ?? WHITE) ?? [1, 1, 1];
}

/** Gray opaque shapes on white: what version 1 holds. */
function isOriginal(scene: Pick<Scene, 'background' | 'shapes'>): boolean {
  return (
    (scene.background ?? WHITE) === WHITE && scene.shapes.every((s) => s.color === undefined && (s.opacity ?? 1) === 1)
  );
}

/** The version a scene is written as (and its background dropped when it is version 1), as Python does. */
export function normalised(scene: Scene): Scene {
  const { background, ...rest } = scene;
  if (isOriginal(scene)) return { ...rest, version: 1 };
  return {
    format: rest.format,
    version: 2,
    width: rest.width,
    height: rest.height,
    background: background ?? WHITE,
    shapes: rest.shapes,
  };
}

/** The scene in gray: every colour as its luma, the canvas too. */
export function toGrayScene(scene: Scene): Scene {
  const shapes = scene.shapes.map((s) => {
    const { color, ...rest } = s;
    return color === undefined ? s : { ...rest, intensity: luma(paintOf(s)) };
  });
  const bg = luma(backgroundOf(scene));
  return normalised({ ...scene, shapes, background: toHex([bg, bg, bg]) });
}

export function hasTranslucent(scene: Scene): boolean {
  return scene.shapes.some((s) => (s.opacity ?? 1) !== 1);
}

// ---------------------------------------------------------------------------------------------
// The engine's layout: per shape its paint (model.channels), its opacity (model.opacity), then
// its type's geometry in table order; the canvas colour apart.

export function toValues(
  scene: Scene,
  model: Model,
): { types: Int32Array; values: Float64Array; background: Float64Array } {
  const types = new Int32Array(scene.shapes.length);
  const out: number[] = [];
  scene.shapes.forEach((s, i) => {
    const spec = shapeType(s.type);
    if (!spec) throw new SceneError(`shapes[${i}].type: ${JSON.stringify(s.type)} is not a shape type`);
    types[i] = spec.code;
    const paint = paintOf(s);
    if (model.channels === 1) out.push(s.color === undefined ? (s.intensity ?? 0) : luma(paint));
    else out.push(...paint);
    if (model.opacity) out.push(s.opacity ?? 1);
    for (const f of spec.geometry) out.push(getField(s, f));
  });
  const bg = backgroundOf(scene);
  const background = Float64Array.from(model.channels === 1 ? [luma(bg)] : bg);
  return { types, values: Float64Array.from(out), background };
}

/** `like` at the engine's constrained values; names and freeze flags come from `like`. */
export function fromValues(like: Scene, values: ArrayLike<number>, background: ArrayLike<number>, model: Model): Scene {
  let o = 0;
  const shapes = like.shapes.map((s) => {
    const spec = shapeType(s.type)!;
    const n: Shape = { name: s.name, type: s.type };
    for (const key of typeKeys(spec).keys()) n[key] = structuredClone(s[key]);
    if (model.channels === 1) n.intensity = values[o];
    else n.color = toHex([values[o], values[o + 1], values[o + 2]]);
    o += model.channels;
    const opacity = model.opacity ? values[o++] : (s.opacity ?? 1);
    if (opacity !== 1) n.opacity = opacity;
    for (const f of spec.geometry) putField(n, f, values[o++]);
    if (s.frozen) n.frozen = true;
    return n;
  });
  const bg = Array.from(background, (v) => Math.min(1, Math.max(0, v)));
  let canvas = like.background ?? WHITE;
  if (model.channels === 3) canvas = toHex(bg);
  // A gray engine paints the canvas's luma; an unchanged canvas keeps its own colour.
  else if (Math.abs(luma(backgroundOf(like)) - bg[0]) > 1e-6) canvas = toHex([bg[0], bg[0], bg[0]]);
  return normalised({ ...like, shapes, background: canvas });
}

export function frozenMask(scene: Scene): Uint8Array {
  return Uint8Array.from(scene.shapes.map((s) => (s.frozen ? 1 : 0)));
}

// ---------------------------------------------------------------------------------------------
// Validation: a scene typed by a user or read from a file is checked field by field, with the
// message starting with the field's path, before it replaces anything.

/** A string as Python's repr() quotes it, so messages read the same as py/pelican's. */
const repr = (s: string) =>
  s.includes("'") && !s.includes('"') ? `"${s}"` : `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

const kind = (v: unknown) =>
  v === null || v === undefined
    ? 'NoneType'
    : Array.isArray(v)
      ? 'list'
      : typeof v === 'string'
        ? 'str'
        : typeof v === 'boolean'
          ? 'bool'
          : typeof v === 'object'
            ? 'dict'
            : typeof v;

/** A JSON value roughly as Python's repr() shows it. */
const show = (v: unknown): string =>
  typeof v === 'string'
    ? repr(v)
    : typeof v === 'boolean'
      ? v
        ? 'True'
        : 'False'
      : v === null || v === undefined
        ? 'None'
        : (JSON.stringify(v) ?? String(v));

function num(v: unknown, where: string, lo?: number, hi?: number): number {
  if (typeof v !== 'number')
    throw new SceneError(`${where}: expected a number, got ${kind(v)} ${show(v).slice(0, 40)}`);
  if (!Number.isFinite(v)) throw new SceneError(`${where}: ${v} is not a finite number`);
  if ((lo !== undefined && v < lo) || (hi !== undefined && v > hi))
    throw new SceneError(`${where}: ${v} is outside [${lo}, ${hi}]`);
  return v;
}

function color(v: unknown, where: string): string {
  if (typeof v === 'string') {
    const c = parseHex(v);
    if (!c) throw new SceneError(`${where}: ${repr(v).slice(0, 40)} is not a colour (#rrggbb)`);
    return v.trim().toLowerCase();
  }
  if (Array.isArray(v) && v.length === 3) return toHex(v.map((x, i) => num(x, `${where}[${i}]`, 0, 1)));
  throw new SceneError(`${where}: expected a colour "#rrggbb", got ${kind(v)}`);
}

function name(v: unknown, where: string): string {
  if (typeof v !== 'string' || !v.trim()) throw new SceneError(`${where}: a shape name must be a non-empty string`);
  if (v.length > MAX_NAME) throw new SceneError(`${where}: a shape name has at most ${MAX_NAME} characters`);
  if (/[\u0000-\u001f<>&"']/.test(v))
    throw new SceneError(`${where}: ${repr(v)} contains control or markup characters`);
  return v;
}

const WORDS: Record<number, string> = { 2: 'two', 3: 'three', 4: 'four' };

/** `v` checked to be nested lists of lengths `dims` (a number when dims is empty), copied. */
function nested(v: unknown, dims: number[], where: string, type: string): unknown {
  if (dims.length === 0) return v;
  if (!Array.isArray(v) || v.length !== dims[0]) {
    if (dims.length === 2)
      throw new SceneError(
        `${where}: a ${type} needs exactly ${WORDS[dims[0]] ?? dims[0]} [${'xyzw'.slice(0, dims[1]).split('').join(', ')}] points`,
      );
    throw new SceneError(`${where}: expected a list of ${dims[0]}`);
  }
  if (dims.length === 2) {
    v.forEach((item, i) => {
      if (!Array.isArray(item) || item.length !== dims[1])
        throw new SceneError(`${where}[${i}]: expected [${'xyzw'.slice(0, dims[1]).split('').join(', ')}]`);
    });
  }
  return v.map((x, i) => nested(x, dims.slice(1), `${where}[${i}]`, type));
}

function validateShape(raw: unknown, where: string, version: number): Shape {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw))
    throw new SceneError(`${where}: a shape must be an object`);
  const d = raw as Record<string, unknown>;
  const typeNames = shapeModel().types.map((t) => t.name);
  const spec = typeof d.type === 'string' ? shapeType(d.type) : undefined;
  if (!spec) throw new SceneError(`${where}.type: ${JSON.stringify(d.type)} is not one of ${typeNames.join(', ')}`);
  const keys = typeKeys(spec);
  const paint = version >= 2 ? ['intensity', 'color', 'opacity'] : ['intensity'];
  const allowed = new Set(['name', 'type', 'frozen', ...paint, ...keys.keys()]);
  for (const key of Object.keys(d)) {
    if (!allowed.has(key))
      throw new SceneError(
        `${where}.${key}: unknown field for a ${spec.name}${key === 'color' || key === 'opacity' ? ' in a version 1 scene' : ''}`,
      );
  }
  if ('intensity' in d && 'color' in d) throw new SceneError(`${where}.color: give a colour or an intensity, not both`);
  if (!('intensity' in d) && !('color' in d))
    throw new SceneError(`${where}.intensity: missing${version >= 2 ? ' (or a color)' : ''}`);
  const out: Shape = { name: name(d.name, `${where}.name`), type: spec.name };
  for (const [key, dims] of keys) {
    if (d[key] === undefined || d[key] === null)
      throw new SceneError(`${where}.${key}: missing (a ${spec.name} needs ${[...keys.keys()].join(', ')})`);
    out[key] = nested(d[key], dims, `${where}.${key}`, spec.name);
  }
  for (const f of spec.geometry) {
    const value = num(getField(out, f), `${where}.${f.name}`);
    const problem = fieldProblem(f, value);
    if (problem)
      throw new SceneError(
        `${where}.${f.name}: ${problem.startsWith('must') ? (f.transform === 'positive' ? 'a radius ' : 'it ') : ''}${problem}`,
      );
  }
  if ('color' in d) out.color = color(d.color, `${where}.color`);
  else out.intensity = num(d.intensity, `${where}.intensity`, 0, 1);
  if ('opacity' in d) {
    const opacity = num(d.opacity, `${where}.opacity`, 0, 1);
    if (opacity !== 1) out.opacity = opacity;
  }
  if ('frozen' in d) {
    if (typeof d.frozen !== 'boolean') throw new SceneError(`${where}.frozen: expected true or false`);
    if (d.frozen) out.frozen = true;
  }
  return out;
}

export function validateScene(doc: unknown): Scene {
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new SceneError('scene: expected a JSON object');
  const d = doc as Record<string, unknown>;
  if (d.format !== 'pelican-scene')
    throw new SceneError(`format: expected "pelican-scene", got ${JSON.stringify(d.format)?.slice(0, 40)}`);
  const version = d.version;
  if (version !== 1 && version !== 2)
    throw new SceneError(`version: this program reads versions 1, 2, got ${JSON.stringify(version)?.slice(0, 20)}`);
  for (const key of Object.keys(d)) {
    if (!['format', 'version', 'width', 'height', 'shapes'].includes(key) && !(version >= 2 && key === 'background')) {
      throw new SceneError(`${key}: unknown top-level field${key === 'background' ? ' in a version 1 scene' : ''}`);
    }
  }
  for (const key of ['width', 'height'] as const) {
    const v = d[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > MAX_SIDE) {
      throw new SceneError(`${key}: expected an integer from 1 to ${MAX_SIDE}, got ${JSON.stringify(v)?.slice(0, 40)}`);
    }
  }
  if (!Array.isArray(d.shapes)) throw new SceneError('shapes: expected a list');
  if (d.shapes.length > MAX_SHAPES)
    throw new SceneError(`shapes: at most ${MAX_SHAPES} shapes, got ${d.shapes.length}`);
  const background = 'background' in d ? color(d.background, 'background') : WHITE;
  const seen = new Set<string>();
  const shapes = d.shapes.map((raw, i) => {
    const s = validateShape(raw, `shapes[${i}]`, version);
    if (seen.has(s.name)) throw new SceneError(`shapes[${i}].name: ${repr(s.name)} is used twice`);
    seen.add(s.name);
    return s;
  });
  return normalised({
    format: 'pelican-scene',
    version,
    width: d.width as number,
    height: d.height as number,
    background,
    shapes,
  });
}
