// The one protocol file between the engine worker and its clients (the web app, Python via
// pelican_host, the CLI, the tests): message shapes, flat Float32Array layouts and error names.
// The worker's own type is derived from its implementation (`EngineApi = typeof api` in
// engine.worker.ts); everything both sides must agree on lives here.

// ---------------------------------------------------------------------------------------------
// Scene layout (README.md, "Coordinates and layout"): shapes in z-order back→front, intensity first.

export const ShapeType = { circle: 0, ellipse: 1, triangle: 2 } as const;
export type ShapeTypeName = keyof typeof ShapeType;
export type ShapeTypeCode = (typeof ShapeType)[ShapeTypeName];

/** Raw floats per shape, indexed by type code. */
export const PARAM_COUNTS: readonly number[] = [4, 6, 7];

// ---------------------------------------------------------------------------------------------
// Loss breakdown: an object at the API, 7 floats wherever it is flat (history, C++ side).

export interface Breakdown {
  mse: number;
  edge: number;
  ssim: number;
  perimeter: number;
  degeneracy: number;
  canvas: number;
  total: number;
}

export const BREAKDOWN_KEYS = ['mse', 'edge', 'ssim', 'perimeter', 'degeneracy', 'canvas', 'total'] as const;
export const FLOATS_PER_BREAKDOWN = BREAKDOWN_KEYS.length;

/** Reads the breakdown of one step out of a flat history (stepsCompleted × 7 floats). */
export function breakdownAt(history: Float32Array, step: number): Breakdown {
  const o = step * FLOATS_PER_BREAKDOWN;
  if (step < 0 || o + FLOATS_PER_BREAKDOWN > history.length) {
    throw new RangeError(`breakdownAt(history, step): step ${step} is outside a history of ${history.length / FLOATS_PER_BREAKDOWN} steps`);
  }
  return {
    mse: history[o],
    edge: history[o + 1],
    ssim: history[o + 2],
    perimeter: history[o + 3],
    degeneracy: history[o + 4],
    canvas: history[o + 5],
    total: history[o + 6],
  };
}

export interface LossWeights {
  perimeter: number;
  degeneracy: number;
  canvas: number;
  edge: number;
  ssim: number;
}

export const DEFAULT_WEIGHTS: Readonly<LossWeights> = { perimeter: 0.001, degeneracy: 0.1, canvas: 1.0, edge: 0.1, ssim: 0.05 };

// ---------------------------------------------------------------------------------------------
// Calls and results.

export interface EvaluateResult {
  breakdown: Breakdown;
  /** Same layout as the raw parameters. */
  gradients: Float32Array;
}

export interface OptimizeOptions {
  steps: number;
  /** Default 0.02; cosine decay to lr/20. */
  lr?: number;
  /** Normalised units; default 1/S. */
  tauStart?: number;
  /** Normalised units; default 0.2/S. */
  tauEnd?: number;
  /** Global gradient-norm clip; default 1. */
  clipNorm?: number;
  /** A preview image at most every this many steps (0 or absent: no previews). */
  previewEvery?: number;
  /** Longest side of the preview in pixels; default the canvas size. */
  previewSize?: number;
  /** Time every step on its own (one Wasm call per step) and return stepMs; for benchmarks. */
  recordStepTimes?: boolean;
}

export const OPTIMIZE_DEFAULTS = { lr: 0.02, tauStart: 0, tauEnd: 0, clipNorm: 1 } as const;

export interface Preview {
  width: number;
  height: number;
  /** width × height, row-major, 0 = black, 1 = white. */
  pixels: Float32Array;
}

export interface Progress {
  /** Steps completed so far (1-based count). */
  step: number;
  steps: number;
  /** Breakdown of the latest completed step. */
  breakdown: Breakdown;
  preview?: Preview;
}

export interface OptimizeResult {
  /** Best parameters seen (also left in the engine). */
  raw: Float32Array;
  /** stepsCompleted × 7 floats, in BREAKDOWN_KEYS order. */
  history: Float32Array;
  bestLoss: number;
  stepsCompleted: number;
  cancelled: boolean;
  /** Wall time spent in the loop inside the worker (excludes messaging), in milliseconds. */
  elapsedMs: number;
  /** With recordStepTimes: the duration of each step in milliseconds. */
  stepMs?: Float32Array;
}

export interface EngineInfo {
  flavour: 'simd' | 'baseline';
  width: number;
  height: number;
  shapeCount: number;
  rawCount: number;
}

// ---------------------------------------------------------------------------------------------
// Pacing. The loop runs at full speed; what crosses to the main thread is throttled.

/** Minimum time between two progress messages: about one animation frame. */
export const PROGRESS_INTERVAL_MS = 16;
/** Target length of one chunk of steps between two cancellation checks. */
export const CHUNK_MS = 8;

/**
 * Cancellation travels in shared memory when it can (the running loop never has to yield to see
 * it): Int32Array(1) over a SharedArrayBuffer holding the highest cancelled optimize ticket.
 * Without cross-origin isolation it travels as a cancel(ticket) message instead.
 */
export const CANCEL_SLOT = 0;

// ---------------------------------------------------------------------------------------------
// Errors keep their kind across every hop (C++ → worker → client → Python) by name.

/** Rejected input: the message comes from the C++ validation and names the call. */
export const ENGINE_ERROR = 'EngineError';
/** A trap or abort inside Wasm, or a dead worker; the client has already replaced the worker. */
export const ENGINE_CRASHED = 'EngineCrashed';
/** The caller stopped the call (client.stop()); kept apart from real errors. */
export const ENGINE_ABORTED = 'AbortError';
export type EngineErrorName = typeof ENGINE_ERROR | typeof ENGINE_CRASHED | typeof ENGINE_ABORTED;

export function namedError(name: EngineErrorName, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

/** Whatever was thrown, as an Error (a string, an Emscripten abort, a structured-clone copy). */
export function ensureError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  if (thrown && typeof thrown === 'object' && 'message' in thrown) {
    const source = thrown as { name?: unknown; message?: unknown; stack?: unknown };
    const error = new Error(String(source.message));
    if (typeof source.name === 'string') error.name = source.name;
    if (typeof source.stack === 'string') error.stack = source.stack;
    return error;
  }
  return new Error(`non-error thrown: ${String(thrown)}`);
}
