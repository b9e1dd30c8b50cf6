// The engine's shape table, as the page keeps it: fetched once from an engine at boot
// (workers/protocol.ts `shapeModel()`), then read by scene validation and the value layout.
// The page restates no type, field or limit of its own.
import {
  ORIGINAL_MODEL,
  type FieldSpec,
  type Model,
  type ShapeModel,
  type ShapeTypeSpec,
} from '../../workers/protocol';

export type { FieldSpec, Model, ShapeModel, ShapeTypeSpec };

let table: ShapeModel | null = null;
let arrived: (t: ShapeModel) => void;
let failed: (e: unknown) => void;
const arrival = new Promise<ShapeModel>((done, fail) => ((arrived = done), (failed = fail)));
arrival.catch(() => undefined);

export function setShapeModel(t: ShapeModel): void {
  if (table) return;
  table = t;
  arrived(t);
}

/** The table; throws before it has arrived (callers that may run earlier await whenShapeModel). */
export function shapeModel(): ShapeModel {
  if (!table) throw new Error('the engine has not handed over its shape table yet');
  return table;
}

/** No engine, no table: whoever waits for it hears why. */
export function shapeModelFailed(e: unknown): void {
  if (!table) failed(e);
}

export function whenShapeModel(): Promise<ShapeModel> {
  return arrival;
}

export function shapeType(name: string): ShapeTypeSpec | undefined {
  return shapeModel().types.find((t) => t.name === name);
}

/** A field path "points[1][0]" as its top-level key and the list indices below it. */
export function fieldPath(name: string): { key: string; indices: number[] } {
  const m = /^([A-Za-z_]\w*)((?:\[\d+\])*)$/.exec(name);
  if (!m) throw new Error(`shape table: ${JSON.stringify(name)} is not a field path`);
  return { key: m[1], indices: [...m[2].matchAll(/\[(\d+)\]/g)].map((x) => Number(x[1])) };
}

/** Top-level keys of a type's shape object, in table order, with the nested list lengths under each. */
export function typeKeys(spec: ShapeTypeSpec): Map<string, number[]> {
  const keys = new Map<string, number[]>();
  for (const f of spec.geometry) {
    const { key, indices } = fieldPath(f.name);
    const dims = keys.get(key) ?? [];
    indices.forEach((i, level) => (dims[level] = Math.max(dims[level] ?? 0, i + 1)));
    keys.set(key, dims);
  }
  return keys;
}

export function getField(shape: Record<string, unknown>, f: FieldSpec): number {
  const { key, indices } = fieldPath(f.name);
  let v: unknown = shape[key];
  for (const i of indices) v = (v as unknown[])[i];
  return v as number;
}

export function putField(shape: Record<string, unknown>, f: FieldSpec, value: number): void {
  const { key, indices } = fieldPath(f.name);
  if (indices.length === 0) {
    shape[key] = value;
    return;
  }
  let v = shape[key] as unknown[];
  for (const i of indices.slice(0, -1)) v = v[i] as unknown[];
  v[indices[indices.length - 1]] = value;
}

/** Why `value` is outside a field's range, or null (the same words as py/pelican/shape_table.py). */
export function fieldProblem(f: FieldSpec, value: number): string | null {
  if (f.exclusiveMin && value <= f.min) return f.min === 0 ? 'must be positive' : `must be above ${f.min}`;
  if (value < f.min || value > f.max) return `${value} is outside [${f.min}, ${f.max}]`;
  return null;
}

/**
 * The engine model the page fits a scene with: a colour target gets everything fitted (paint,
 * opacity, canvas); a gray one the original's model, unless the scene has translucent shapes
 * (vectorize's or an imported version 2 scene), which are fitted as vectorize fits them.
 */
export function pageModel(channels: 1 | 3, translucent: boolean): Model {
  if (channels === 3) return { channels: 3, opacity: true, fitBackground: true };
  return translucent ? { channels: 1, opacity: true, fitBackground: true } : ORIGINAL_MODEL;
}
