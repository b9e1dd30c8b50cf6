// The page's view of a scene: the pelican-scene JSON document (the format py/pelican reads and
// writes), plus the mapping to the engine's flat raw layout (CONTRACTS.md "Raw parameter layout").
// The page needs its own copy of this small mapping so it can draw, list and edit shapes while
// Python is still loading; anything richer (search, LLM edits) is Python's job.

export type ShapeType = 'circle' | 'ellipse' | 'triangle';
export const TYPE_CODE: Record<ShapeType, number> = { circle: 0, ellipse: 1, triangle: 2 };
const CODE_TYPE: ShapeType[] = ['circle', 'ellipse', 'triangle'];
export const PARAM_COUNT: Record<ShapeType, number> = { circle: 4, ellipse: 6, triangle: 7 };

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
    o += PARAM_COUNT[s.type];
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
  const shapes = d.shapes.map((raw, i): Shape => {
    const w = `shapes[${i}]`;
    if (!raw || typeof raw !== 'object') throw new SceneError(`${w} must be an object`);
    const s = raw as Record<string, unknown>;
    const type = s.type as ShapeType;
    if (!(type in TYPE_CODE)) throw new SceneError(`${w}.type must be circle, ellipse or triangle`);
    const name = typeof s.name === 'string' && s.name.length > 0 ? s.name.slice(0, 64) : `${type}_${i}`;
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

// ---------------------------------------------------------------------------------------------
// SVG: the original's layout (spec §8.1) made correct — the viewBox is the real canvas, lengths
// are scaled by S = max(W, H) like the coordinates, shapes are clipped to the canvas, and
// numbers are compact. Our own SVGs carry the names in data-name so an import restores them.

const f = (v: number, digits = 2) => {
  const s = v.toFixed(digits);
  return s.includes('.') ? s.replace(/\.?0+$/, '') || '0' : s;
};
const gray = (i: number) => Math.min(255, Math.max(0, Math.round(255 * i)));

function escapeAttr(s: string): string {
  return s.replace(/[^A-Za-z0-9_.:-]/g, '_');
}

export function sceneToSvg(scene: Scene, outWidth = scene.width, outHeight = scene.height): string {
  const S = Math.max(scene.width, scene.height);
  const k = Math.max(outWidth, outHeight) / S; // normalised → output pixels: × S × k
  const m = S * k;
  const W = scene.width * k;
  const H = scene.height * k;
  const lines = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${f(W)} ${f(H)}" width="${f(W)}" height="${f(H)}" data-generator="pelican">`,
    `  <defs><clipPath id="canvas"><rect width="${f(W)}" height="${f(H)}"/></clipPath></defs>`,
    `  <rect width="${f(W)}" height="${f(H)}" fill="#fff"/>`,
    `  <g clip-path="url(#canvas)">`,
  ];
  for (const s of scene.shapes) {
    const v = gray(s.intensity);
    const fill = `rgb(${v},${v},${v})`;
    const n = `data-name="${escapeAttr(s.name)}"`;
    if (s.type === 'circle') {
      lines.push(`    <circle ${n} cx="${f(s.cx! * m)}" cy="${f(s.cy! * m)}" r="${f(s.r! * m)}" fill="${fill}"/>`);
    } else if (s.type === 'ellipse') {
      const cx = f(s.cx! * m);
      const cy = f(s.cy! * m);
      const deg = f((s.rotation! * 180) / Math.PI);
      const rot = deg === '0' ? '' : ` transform="rotate(${deg} ${cx} ${cy})"`;
      lines.push(
        `    <ellipse ${n} cx="${cx}" cy="${cy}" rx="${f(s.rx! * m)}" ry="${f(s.ry! * m)}" fill="${fill}"${rot}/>`,
      );
    } else {
      const pts = s.points!.map(([x, y]) => `${f(x * m)},${f(y * m)}`).join(' ');
      lines.push(`    <polygon ${n} points="${pts}" fill="${fill}"/>`);
    }
  }
  lines.push('  </g>', '</svg>');
  return lines.join('\n') + '\n';
}

/**
 * Reads back an SVG this app wrote. The text is never handed to a browser parser: only the
 * exact element and attribute shapes we emit are recognised, and anything else is an error.
 */
export function svgToScene(text: string): Scene {
  if (text.length > 5_000_000) throw new SceneError('SVG is too large');
  const head = /<svg\b[^>]*\bviewBox="0 0 ([\d.]+) ([\d.]+)"/.exec(text);
  if (!head) throw new SceneError('not an SVG with a viewBox "0 0 W H"');
  if (/<script|\bon[a-z]+\s*=|javascript:/i.test(text)) throw new SceneError('SVG contains script; refused');
  const W = parseFloat(head[1]);
  const H = parseFloat(head[2]);
  const width = Math.round(W);
  const height = Math.round(H);
  const S = Math.max(W, H);
  const shapes: Shape[] = [];
  const attr = (tag: string, a: string) => {
    const r = new RegExp(`\\s${a}="([^"]*)"`).exec(tag);
    return r ? r[1] : undefined;
  };
  const number = (tag: string, a: string) => {
    const v = attr(tag, a);
    const x = v === undefined ? NaN : parseFloat(v);
    if (!Number.isFinite(x)) throw new SceneError(`<${tag.slice(1, 9)}…> has no numeric ${a}`);
    return x;
  };
  const intensity = (tag: string) => {
    const m = /fill="rgb\((\d+),(\d+),(\d+)\)"/.exec(tag);
    if (!m) throw new SceneError('shape without an rgb() fill');
    return (Number(m[1]) + Number(m[2]) + Number(m[3])) / 3 / 255;
  };
  const re = /<(circle|ellipse|polygon)\b[^>]*>/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const tag = m[0];
    const kind = m[1];
    const i = shapes.length;
    const rawName = attr(tag, 'data-name');
    const name = rawName ?? `${kind === 'polygon' ? 'triangle' : kind}_${i}`;
    const inten = Math.min(0.99, Math.max(0.01, intensity(tag)));
    if (kind === 'circle') {
      shapes.push({ name, type: 'circle', intensity: inten, cx: number(tag, 'cx') / S, cy: number(tag, 'cy') / S, r: number(tag, 'r') / S });
    } else if (kind === 'ellipse') {
      const t = attr(tag, 'transform');
      const rot = t ? /rotate\((-?[\d.]+)/.exec(t) : null;
      shapes.push({
        name,
        type: 'ellipse',
        intensity: inten,
        cx: number(tag, 'cx') / S,
        cy: number(tag, 'cy') / S,
        rx: number(tag, 'rx') / S,
        ry: number(tag, 'ry') / S,
        rotation: rot ? (parseFloat(rot[1]) * Math.PI) / 180 : 0,
      });
    } else {
      const pts = (attr(tag, 'points') ?? '').trim().split(/\s+/).map((p) => p.split(',').map(Number));
      if (pts.length !== 3 || pts.some((p) => p.length !== 2 || !p.every(Number.isFinite)))
        throw new SceneError('polygon must have exactly three points');
      shapes.push({ name, type: 'triangle', intensity: inten, points: pts.map(([x, y]) => [x / S, y / S]) as [number, number][] });
    }
  }
  if (shapes.length === 0) throw new SceneError('SVG holds no circle, ellipse or polygon');
  // Renormalise to a working canvas no larger than 512 on the long side, aspect kept.
  const k = Math.min(1, 512 / Math.max(width, height));
  return validateScene({
    format: 'pelican-scene',
    version: 1,
    width: Math.max(1, Math.round(width * k)),
    height: Math.max(1, Math.round(height * k)),
    shapes,
  });
}

export function uniqueName(scene: Scene, base: string): string {
  const taken = new Set(scene.shapes.map((s) => s.name));
  if (!taken.has(base)) return base;
  for (let i = 2; ; i++) if (!taken.has(`${base}_${i}`)) return `${base}_${i}`;
}

export function typeOfCode(code: number): ShapeType {
  return CODE_TYPE[code];
}
