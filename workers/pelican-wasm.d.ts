// Hand-written declaration of the Embind module built from cpp/bindings/embind.cpp (Emscripten
// 3.1.6 cannot generate one). It matches the EMSCRIPTEN_BINDINGS table field for field;
// tests/workers/bindings.test.ts calls every name, and tests/workers/types.test-d.ts checks it.
// build:wasm copies it beside the glue as build/wasm/pelican-<flavour>.d.mts.

/** Outcome of every call that can be rejected; nothing is thrown across Embind. */
export interface WasmStatus {
  ok: boolean;
  message: string;
}

/** Unweighted loss terms and the weighted total (same order as the flat 7-float layout). */
export interface WasmBreakdown {
  mse: number;
  edge: number;
  ssim: number;
  perimeter: number;
  degeneracy: number;
  canvas: number;
  total: number;
}

export interface WasmLossWeights {
  perimeter: number;
  degeneracy: number;
  canvas: number;
  edge: number;
  ssim: number;
}

/** Every field is required: Embind value objects have no defaults. */
export interface WasmOptimizeOptions {
  steps: number;
  lr: number;
  /** 0 means 1/S. */
  tauStart: number;
  /** 0 means 0.2/S. */
  tauEnd: number;
  clipNorm: number;
}

export interface WasmModel {
  channels: number;
  opacity: boolean;
  fitBackground: boolean;
}

export interface WasmProposeOptions {
  count: number;
  candidates: number;
  mutations: number;
  seed: number;
  typeMask: number;
}

export interface WasmEvaluation extends WasmStatus {
  breakdown: WasmBreakdown;
}

export interface WasmStepsResult extends WasmStatus {
  /** Steps run by this call. */
  steps: number;
  /** The schedule is complete, or the loss became NaN. */
  finished: boolean;
}

/**
 * One engine. Methods returning a typed array return a view onto Wasm memory: it is valid only
 * until the next call marked "may grow memory"; copy out of it before handing it to anyone.
 */
export interface WasmEngine {
  /** View to stage `count` floats (may grow memory). */
  floatInput(count: number): Float32Array;
  /** View to stage `count` doubles (may grow memory). */
  doubleInput(count: number): Float64Array;
  /** View to stage `count` int32 shape type codes (may grow memory). */
  intInput(count: number): Int32Array;
  /** View to stage `count` mask bytes (may grow memory). */
  byteInput(count: number): Uint8Array;
  init(width: number, height: number, model: WasmModel): WasmStatus;
  /** Uses the first `count` staged floats. */
  setTarget(count: number): WasmStatus;
  /** The first `shapeCount` staged type codes; staged doubles: `valueCount` values, then `backgroundCount`. */
  setScene(shapeCount: number, valueCount: number, backgroundCount: number): WasmStatus;
  /** Uses the first `count` staged bytes. */
  setFrozen(count: number): WasmStatus;
  setWeights(weights: WasmLossWeights): WasmStatus;
  /** Pixels [x0, x1) × [y0, y1) for the following evaluate/optimize; x1 <= x0 clears it. */
  setWindow(x0: number, y0: number, x1: number, y1: number): WasmStatus;
  clearWindow(): WasmStatus;
  /** With gradients, fills gradients() (may grow memory). */
  evaluate(tau: number, withGradients: boolean): WasmEvaluation;
  gradients(): Float32Array;
  /** Fills pixels() (may grow memory). */
  render(tau: number, width: number, height: number): WasmStatus;
  pixels(): Float32Array;
  /** Constrained values of the shapes (may grow memory). */
  values(): Float64Array;
  /** The background as painted (may grow memory). */
  background(): Float64Array;
  shapeCount(): number;
  valueCount(): number;
  channels(): number;
  width(): number;
  height(): number;
  /** Fills proposedTypes() and proposedValues() (may grow memory). */
  propose(options: WasmProposeOptions, tau: number): WasmStatus;
  proposedTypes(): Int32Array;
  proposedValues(): Float64Array;
  /** May grow memory (reserves the history). */
  optimizeBegin(options: WasmOptimizeOptions): WasmStatus;
  optimizeSteps(maxSteps: number): WasmStepsResult;
  /** 7 floats per completed step. */
  history(): Float32Array;
  optimizeEnd(): WasmStatus;
  bestLoss(): number;
  stepsCompleted(): number;
  /** Frees the C++ object (Embind handles are not garbage collected). */
  delete(): void;
}

export interface PelicanWasmModule {
  Engine: new () => WasmEngine;
  /** The shape table (workers/protocol.ts ShapeModel). */
  shapeModel(): import('./protocol.js').ShapeModel;
  buildFlavour(): 'simd-threads' | 'simd' | 'baseline';
  /** Deliberate abort, for crash-recovery tests. */
  debugAbort(): void;
  /** Threads one evaluation uses from now on, clamped to [1, maxThreads()]; returns that count. */
  setThreads(threads: number): number;
  threads(): number;
  /** 1 in the single-threaded builds, else the logical cores (at most 16). */
  maxThreads(): number;
  HEAPU8: Uint8Array;
}

export interface PelicanModuleOptions {
  /** The .wasm bytes; Node 20 cannot fetch the file itself, and the browser path fetches it once. */
  wasmBinary?: ArrayBuffer | Uint8Array;
  print?: (text: string) => void;
  printErr?: (text: string) => void;
  /** Pthreads build: where the helper-thread script (….worker.js) is. */
  locateFile?: (path: string, prefix: string) => string;
  /** Pthreads build: the glue's own URL, which the helper threads import. */
  mainScriptUrlOrBlob?: string;
}

export type PelicanModuleFactory = (options?: PelicanModuleOptions) => Promise<PelicanWasmModule>;

declare const createPelicanModule: PelicanModuleFactory;
export default createPelicanModule;
