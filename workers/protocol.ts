// The one protocol file between the engine worker and its clients (the web app, Python via
// pelican_host, the CLI, the tests): message shapes, flat Float32Array layouts and error names.
// The worker's own type is derived from its implementation (`EngineApi = typeof api` in
// engine.worker.ts); everything both sides must agree on lives here.

// ---------------------------------------------------------------------------------------------
// The shape model. The engine owns it (cpp/include/pelican/shape_model.h) and hands it out as
// data through `shapeModel()`; nothing here or in any host restates its types, fields or limits.
//
// Scene layout: shapes in z-order back→front; per shape its paint (gray: intensity; colour:
// r, g, b), its opacity when the model fits opacity, then its type's geometry fields in table
// order, all as constrained values (what files and people write: centres in [0, 1], radii,
// radians). Raw optimiser parameters never cross this boundary.

export type Transform = 'unit' | 'paint' | 'positive' | 'angle';

export interface FieldSpec {
  /** A JSON path inside a shape object: "cx", "points[1][0]". */
  name: string;
  transform: Transform;
  min: number;
  max: number;
  /** The range excludes `min` itself (radii must be positive). */
  exclusiveMin: boolean;
}

export interface ShapeTypeSpec {
  name: string;
  code: number;
  geometry: FieldSpec[];
}

export interface ShapeModel {
  types: ShapeTypeSpec[];
  /** The one paint channel of the gray model. */
  intensity: FieldSpec;
  /** Each of the three paint channels of the colour model (files write "#rrggbb"). */
  color: FieldSpec;
  opacity: FieldSpec;
  /** Each channel of the canvas colour. */
  background: FieldSpec;
  /** The original's starting pelican in a unit square: intensity, then geometry, per shape. */
  initialPelican: { name: string; type: number; values: number[] }[];
  /** What an optimisation and the loss use unless told otherwise (DEFAULT_WEIGHTS and OPTIMIZE_DEFAULTS are these). */
  defaults: { lr: number; clipNorm: number; weights: LossWeights };
}

/** What a scene is made of besides geometry; fixed per engine by init(). */
export interface Model {
  /** 1 (gray) or 3 (RGB): image planes of target and render, paint channels of every shape. */
  channels: 1 | 3;
  /** Fit a per-shape opacity (else every shape is opaque). */
  opacity: boolean;
  /** Fit the canvas colour (else it stays as set in setScene). */
  fitBackground: boolean;
}

/** The original's model: gray, opaque shapes, a white canvas. Its maths is the original's bit for bit. */
export const ORIGINAL_MODEL: Readonly<Model> = { channels: 1, opacity: false, fitBackground: false };

/** Values per shape of type `code` under `model`. */
export function shapeValueCount(shapeModel: ShapeModel, model: Model, code: number): number {
  const type = shapeModel.types.find((t) => t.code === code);
  if (!type) throw new RangeError(`shapeValueCount: ${code} is not a shape type code`);
  return model.channels + (model.opacity ? 1 : 0) + type.geometry.length;
}

/** A scene as the engine takes and gives it. */
export interface SceneValues {
  types: Int32Array;
  /** Every shape's constrained values, in the layout above. */
  values: Float64Array;
  /** The canvas colour, one value per channel. */
  background: Float64Array;
}

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
    throw new RangeError(
      `breakdownAt(history, step): step ${step} is outside a history of ${history.length / FLOATS_PER_BREAKDOWN} steps`,
    );
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

// The engine's defaults (cpp/include/pelican/engine.h, exported as shapeModel().defaults), here
// for the hosts that need them before any engine has loaded; tests/workers holds the two equal.
export const DEFAULT_WEIGHTS: Readonly<LossWeights> = {
  perimeter: 0.001,
  degeneracy: 0.1,
  canvas: 1.0,
  edge: 0.1,
  ssim: 0.05,
};

// ---------------------------------------------------------------------------------------------
// Calls and results.

/**
 * Local work: evaluate or optimize only the 8×8 tiles meeting pixels [x0, x1) × [y0, y1) of the
 * canvas (clamped to it); the MSE is then the mean over the window's pixels, the priors still
 * cover every shape. Needs the edge and ssim weights at 0 (refused otherwise). Pair it with a
 * frozen mask so only the shapes being settled move. Applies to the one call that carries it.
 */
export interface PixelWindow {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

export interface EvaluateResult {
  breakdown: Breakdown;
  /**
   * d total / d the optimiser's parameter behind each value (the values' layout, then the
   * fitted background's channels); what the original's `eval` reports as raw gradients.
   */
  gradients: Float32Array;
}

/** New shapes placed on the residual of the current scene (Engine.propose in the C++ core). */
export interface ProposeOptions {
  /** Shapes wanted; fewer come back when no shape would lower the error. */
  count: number;
  /** Random shapes tried per proposal; default 128. */
  candidates?: number;
  /** Hill-climbing moves on the best of them; default 96. */
  mutations?: number;
  seed?: number;
  /** Bit per shape type code allowed; default every type. */
  typeMask?: number;
  /** τ of the render the residual is taken from; default 0.5/S. */
  tau?: number;
}

export const PROPOSE_DEFAULTS = { candidates: 128, mutations: 96, seed: 1, typeMask: 7 } as const;

/** Proposed shapes: type codes and their constrained values in the scene layout. */
export interface Proposals {
  types: Int32Array;
  values: Float64Array;
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
  /** Optimise on this window of the canvas only (see PixelWindow). */
  window?: PixelWindow;
}

// The engine's too (shapeModel().defaults); τ 0 means the engine's 1/S and 0.2/S.
export const OPTIMIZE_DEFAULTS = { lr: 0.02, tauStart: 0, tauEnd: 0, clipNorm: 1 } as const;

export interface Preview {
  width: number;
  height: number;
  /** channels planes of width × height, row-major, 0 = black, 1 = white. */
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
  /** Best parameters seen, as constrained values (also left in the engine). */
  values: Float64Array;
  /** The background of that best scene. */
  background: Float64Array;
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
  /** The build: simd-threads (pthreads, shared memory), simd or baseline (single-threaded). */
  flavour: 'simd-threads' | 'simd' | 'baseline';
  /** Threads one evaluation runs on now (always 1 in the single-threaded builds). */
  threads: number;
  /** What this build allows here: 1 single-threaded, else the logical cores (at most 16). */
  maxThreads: number;
  width: number;
  height: number;
  channels: number;
  shapeCount: number;
  valueCount: number;
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

/**
 * Threads per engine travel in shared memory too: Int32Array(1) over a SharedArrayBuffer, at
 * THREADS_SLOT the number of threads the client wants this engine to use. The worker reads it
 * before every call and between chunks of optimize steps, so the client can re-share the cores
 * while an engine is busy. Without shared memory there is no threads build, and nothing to share.
 */
export const THREADS_SLOT = 0;

/** How a worker loads its engine (the first call on every new worker). */
export interface LoadOptions {
  /** Force a build instead of feature detection. */
  flavour?: 'simd-threads' | 'simd' | 'baseline';
  /** Keep to the single-threaded builds even where the threads build would run. */
  singleThread?: boolean;
  /** See THREADS_SLOT. */
  threadSlot?: Int32Array;
}

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
