// The page's view of a scene: the pelican-scene JSON document (the format py/pelican reads and
// writes), plus the mapping to the engine's flat raw layout (workers/protocol.ts).
// The page keeps its own copy of this small mapping and of the validation so it can draw, list,
// edit and restore shapes while Python is still loading. Everything richer is py/pelican's: the
// searches, LLM edits, and SVG files (written and read by pelican.svg through pelican_app.py).
import { PARAM_COUNTS, ShapeType as TYPE_CODE, type ShapeTypeName as ShapeType } from '../../workers/protocol';


export interface Shape {
  name: string;
  type: ShapeType;
  intensity: number;
  cx?: number;
  cy?: number;
  r?: number;
  rx?: number;
  ry?: number;
  rotation?: number;
  points?: [number, number][];
  frozen?: boolean;
}

export interface Scene {
  format: 'pelican-scene';
  version: 1;
  width: number;
  height: number;
  shapes: Shape[];
}

export class SceneError extends Error {
  override name = 'SceneError';
}

// The original's nine-shape starting pelican (spec §2.2), in a unit square.
const INITIAL: Shape[] = [
  { name: 'body', type: 'ellipse', cx: 0.42, cy: 0.55, rx: 0.22, ry: 0.28, rotation: -0.3, intensity: 0.35 },
  { name: 'neck', type: 'ellipse', cx: 0.52, cy: 0.35, rx: 0.06, ry: 0.15, rotation: -0.2, intensity: 0.4 },
  { name: 'head', type: 'circle', cx: 0.58, cy: 0.18, r: 0.08, intensity: 0.35 },
  { name: 'beak_upper', type: 'triangle', points: [[0.62, 0.15], [0.62, 0.22], [0.88, 0.2]], intensity: 0.25 },
  { name: 'beak_lower', type: 'triangle', points: [[0.62, 0.22], [0.88, 0.2], [0.65, 0.28]], intensity: 0.3 },
  { name: 'wing', type: 'ellipse', cx: 0.38, cy: 0.5, rx: 0.18, ry: 0.15, rotation: -0.4, intensity: 0.3 },
  { name: 'tail', type: 'triangle', points: [[0.18, 0.52], [0.25, 0.48], [0.12, 0.6]], intensity: 0.2 },
  { name: 'eye', type: 'circle', cx: 0.6, cy: 0.16, r: 0.015, intensity: 0.05 },
  { name: 'feet', type: 'ellipse', cx: 0.45, cy: 0.88, rx: 0.06, ry: 0.04, rotation: 0, intensity: 0.15 },
];

/** The initial pelican fitted into a W×H canvas (normalised units span [0,W/S]×[0,H/S]). */
export function initialScene(width: number, height: number): Scene {
  const s = Math.max(width, height);
  const ax = width / s;
  const ay = height / s;
  const k = Math.min(ax, ay);
  const shapes = INITIAL.map((sh) => {
    const c: Shape = structuredClone(sh);
    if (c.cx !== undefined) c.cx *= ax;
    if (c.cy !== undefined) c.cy *= ay;
    if (c.r !== undefined) c.r *= k;
    if (c.rx !== undefined) c.rx *= k;
    if (c.ry !== undefined) c.ry *= k;
    if (c.points) c.points = c.points.map(([x, y]) => [x * ax, y * ay]);
    return c;
  });
  return { format: 'pelican-scene', version: 1, width, height, shapes };
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const softplus = (x: number) => (x > 20 ? x : Math.log1p(Math.exp(x)));
const logit = (x: number) => {
  const c = Math.min(Math.max(x, 1e-6), 1 - 1e-6);
  return Math.log(c / (1 - c));
};
const invSoftplus = (x: number) => {
  const c = Math.max(x, 1e-6);
  return c > 20 ? c : Math.log(Math.expm1(c));
};
const intensityRaw = (v: number) => logit(Math.min(Math.max(v, 0.01), 0.99));

export function toRaw(scene: Scene): { types: Int32Array; raw: Float32Array } {
  const types = new Int32Array(scene.shapes.length);
  const out: number[] = [];
  scene.shapes.forEach((s, i) => {
    types[i] = TYPE_CODE[s.type];
    out.push(intensityRaw(s.intensity));
    if (s.type === 'circle') out.push(logit(s.cx!), logit(s.cy!), invSoftplus(s.r!));
    else if (s.type === 'ellipse')
      out.push(logit(s.cx!), logit(s.cy!), invSoftplus(s.rx!), invSoftplus(s.ry!), s.rotation!);
    else for (const [x, y] of s.points!) out.push(logit(x), logit(y));
  });
  return { types, raw: Float32Array.from(out) };
}

/** Constrained values from raw parameters; names and freeze flags come from `like`. */
export function fromRaw(like: Scene, raw: Float32Array): Scene {
  let o = 0;
  const shapes = like.shapes.map((s) => {
    const n: Shape = { name: s.name, type: s.type, intensity: sigmoid(raw[o]) };
    if (s.frozen) n.frozen = true;
    if (s.type === 'circle') {
      n.cx = sigmoid(raw[o + 1]);
      n.cy = sigmoid(raw[o + 2]);
      n.r = softplus(raw[o + 3]);
    } else if (s.type === 'ellipse') {
      n.cx = sigmoid(raw[o + 1]);
      n.cy = sigmoid(raw[o + 2]);
      n.rx = softplus(raw[o + 3]);
      n.ry = softplus(raw[o + 4]);
      n.rotation = raw[o + 5];
    } else {
      n.points = [0, 1, 2].map((v) => [sigmoid(raw[o + 1 + 2 * v]), sigmoid(raw[o + 2 + 2 * v])]) as [
        number,
        number,
      ][];
    }
    o += PARAM_COUNTS[TYPE_CODE[s.type]];
    return n;
  });
  return { ...like, shapes };
}

export function frozenMask(scene: Scene): Uint8Array {
  return Uint8Array.from(scene.shapes.map((s) => (s.frozen ? 1 : 0)));
}

// ---------------------------------------------------------------------------------------------
// Validation: a scene typed by a user or read from a file is checked field by field, with the
// message naming the field, before it replaces anything.

function num(v: unknown, where: string, lo = -Infinity, hi = Infinity): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new SceneError(`${where} must be a finite number`);
  if (v < lo || v > hi) throw new SceneError(`${where} = ${v} is outside [${lo}, ${hi}]`);
  return v;
}

export function validateScene(doc: unknown): Scene {
  if (!doc || typeof doc !== 'object') throw new SceneError('scene must be a JSON object');
  const d = doc as Record<string, unknown>;
  if (d.format !== 'pelican-scene') throw new SceneError('format must be "pelican-scene"');
  if (d.version !== 1) throw new SceneError('version must be 1');
  const width = num(d.width, 'width', 1, 4096);
  const height = num(d.height, 'height', 1, 4096);
  if (!Array.isArray(d.shapes)) throw new SceneError('shapes must be a list');
  if (d.shapes.length > 1000) throw new SceneError('shapes: at most 1000 shapes');
  const seen = new Set<string>();
  const shapes = d.shapes.map((raw, i): Shape => {
    const w = `shapes[${i}]`;
    if (!raw || typeof raw !== 'object') throw new SceneError(`${w} must be an object`);
    const s = raw as Record<string, unknown>;
    const type = s.type as ShapeType;
    if (!(type in TYPE_CODE)) throw new SceneError(`${w}.type must be circle, ellipse or triangle`);
    const name = typeof s.name === 'string' && s.name.length > 0 ? s.name.slice(0, 64) : `${type}_${i}`;
    // The same rule as py/pelican/scene.py, so whatever the page accepts Python can export.
    if (/[\u0000-\u001f<>&"']/.test(name)) throw new SceneError(`${w}.name: ${JSON.stringify(name)} contains control or markup characters`);
    if (seen.has(name)) throw new SceneError(`${w}.name: ${JSON.stringify(name)} is used twice`);
    seen.add(name);
    const out: Shape = { name, type, intensity: num(s.intensity, `${w}.intensity`, 0, 1) };
    if (s.frozen === true) out.frozen = true;
    if (type === 'triangle') {
      const p = s.points;
      if (!Array.isArray(p) || p.length !== 3) throw new SceneError(`${w}.points must be three [x, y] pairs`);
      out.points = p.map((q, j) => {
        if (!Array.isArray(q) || q.length !== 2) throw new SceneError(`${w}.points[${j}] must be [x, y]`);
        return [num(q[0], `${w}.points[${j}][0]`, 0, 1), num(q[1], `${w}.points[${j}][1]`, 0, 1)];
      }) as [number, number][];
    } else {
      out.cx = num(s.cx, `${w}.cx`, 0, 1);
      out.cy = num(s.cy, `${w}.cy`, 0, 1);
      if (type === 'circle') out.r = num(s.r, `${w}.r`, 0, 10);
      else {
        out.rx = num(s.rx, `${w}.rx`, 0, 10);
        out.ry = num(s.ry, `${w}.ry`, 0, 10);
        out.rotation = num(s.rotation ?? 0, `${w}.rotation`, -1e6, 1e6);
      }
    }
    return out;
  });
  return { format: 'pelican-scene', version: 1, width, height, shapes };
}
