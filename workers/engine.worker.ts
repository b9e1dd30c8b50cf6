// The engine worker: one Wasm engine behind Comlink. The same file runs as a browser module
// worker and as a Node worker_thread (compiled to build/workers/), so the CLI and the tests run
// exactly what the browser runs. Its type is its implementation: `EngineApi = typeof api`.
//
// Inputs arrive as transferred typed arrays and are copied once, straight into staged heap views.
// Outputs are copied out of the heap once into fresh buffers, which are transferred.
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import type { PelicanWasmModule, WasmEngine, WasmStatus } from './pelican-wasm.js';
import {
  CANCEL_SLOT,
  CHUNK_MS,
  ENGINE_CRASHED,
  ENGINE_ERROR,
  DEFAULT_WEIGHTS,
  FLOATS_PER_BREAKDOWN,
  OPTIMIZE_DEFAULTS,
  PROGRESS_INTERVAL_MS,
  THREADS_SLOT,
  breakdownAt,
  ensureError,
  namedError,
  type Breakdown,
  type EngineInfo,
  type EvaluateResult,
  type LoadOptions,
  type LossWeights,
  type Model,
  type OptimizeOptions,
  ORIGINAL_MODEL,
  type SceneValues,
  type ShapeModel,
  type OptimizeResult,
  type PixelWindow,
  PROPOSE_DEFAULTS,
  type ProposeOptions,
  type Proposals,
  type Preview,
  type Progress,
} from './protocol.js';
import { IS_NODE, nodeBuiltin, now, type NodeWorkerThreads } from './runtime.js';
import { loadWasmModule } from './wasm-loader.js';

let wasm: { module: PelicanWasmModule; engine: WasmEngine } | undefined;
// After a trap the module's memory is in an unknown state: refuse every later call.
let fatal: Error | undefined;
// Highest optimize ticket cancelled by message (the fallback when there is no shared memory).
let cancelledByMessage = 0;

// The client's wish for this engine's thread count (see THREADS_SLOT), and what was last applied.
let threadSlot: Int32Array | undefined;
let appliedThreads = 0;

async function load(options: LoadOptions = {}): Promise<{ module: PelicanWasmModule; engine: WasmEngine }> {
  if (fatal) throw fatal;
  if (!wasm) {
    if (options.threadSlot !== undefined) threadSlot = expect(options.threadSlot, Int32Array, 'load(options)');
    const module = await loadWasmModule(options.flavour, options.singleThread === true);
    wasm ??= { module, engine: new module.Engine() };
  }
  applyThreads(wasm.module);
  return wasm;
}

/** Follows the client's thread count; cheap enough for every call and every chunk of steps. */
function applyThreads(module: PelicanWasmModule): void {
  // Without a slot (no shared memory) the builds are single-threaded anyway.
  const wanted = threadSlot ? Math.max(1, Atomics.load(threadSlot, THREADS_SLOT)) : 1;
  if (wanted === appliedThreads || fatal) return;
  appliedThreads = wanted;
  // The first raise starts the helper threads (Web Workers); they join once this worker has
  // returned to its event loop, and until then this thread runs every chunk itself.
  guard('setThreads', () => module.setThreads(wanted));
}

async function engine(): Promise<WasmEngine> {
  return (await load()).engine;
}

/** Runs a Wasm call; anything it throws is a trap or abort, never a validation failure. */
function guard<T>(call: string, body: () => T): T {
  if (fatal) throw fatal;
  try {
    return body();
  } catch (thrown) {
    const error = ensureError(thrown);
    if (error.name === ENGINE_ERROR) throw error;
    fatal = namedError(
      ENGINE_CRASHED,
      `The engine crashed in ${call} (${error.name}: ${error.message}); this worker refuses every later call.`,
    );
    throw fatal;
  }
}

function check(status: WasmStatus): void {
  if (!status.ok) throw namedError(ENGINE_ERROR, status.message);
}

function expect<T>(value: unknown, type: new (...args: never[]) => T, call: string): T {
  if (!(value instanceof type)) {
    const got =
      value === null ? 'null' : typeof value === 'object' ? (value.constructor?.name ?? 'object') : typeof value;
    throw namedError(ENGINE_ERROR, `${call}: expected a ${type.name}, got ${got}`);
  }
  return value;
}

function expectNumber(value: unknown, call: string, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw namedError(ENGINE_ERROR, `${call}: ${name} must be a finite number, got ${String(value)}`);
  }
  return value;
}

function expectInteger(value: unknown, call: string, name: string): number {
  const number = expectNumber(value, call, name);
  if (!Number.isInteger(number)) throw namedError(ENGINE_ERROR, `${call}: ${name} must be an integer, got ${number}`);
  return number;
}

/** Lets queued messages (progress acknowledgements, cancel) through without a timer clamp. */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

/** τ of a step under the exponential schedule, for previews drawn mid-run. */
function scheduledTau(
  e: WasmEngine,
  options: Required<Pick<OptimizeOptions, 'tauStart' | 'tauEnd'>>,
  step: number,
  steps: number,
): number {
  const side = Math.max(e.width(), e.height());
  const start = options.tauStart > 0 ? options.tauStart : 1 / side;
  const end = options.tauEnd > 0 ? options.tauEnd : 0.2 / side;
  return steps > 0 ? start * Math.pow(end / start, Math.min(step, steps) / steps) : end;
}

function previewSize(e: WasmEngine, longest: number | undefined): { width: number; height: number } {
  const w = e.width();
  const h = e.height();
  if (!longest || longest <= 0) return { width: w, height: h };
  const scale = longest / Math.max(w, h);
  return { width: Math.max(1, Math.round(w * scale)), height: Math.max(1, Math.round(h * scale)) };
}

function renderCopy(e: WasmEngine, tau: number, width: number, height: number): Float32Array {
  check(guard('render', () => e.render(tau, width, height)));
  // Taken after render: the render may have grown memory and detached older views.
  return e.pixels().slice();
}

function currentScene(e: WasmEngine): Omit<SceneValues, 'types'> {
  // Each copy is taken before the next call that may grow memory.
  const values = e.values().slice();
  const background = e.background().slice();
  return { values, background };
}

/** Sets the call's window (when it has one); the returned function puts the whole canvas back. */
function applyWindow(e: WasmEngine, window: PixelWindow | undefined, call: string): () => void {
  if (window === undefined) return () => undefined;
  if (!window || typeof window !== 'object')
    throw namedError(ENGINE_ERROR, `${call}: window must be an object {x0, y0, x1, y1}`);
  const x0 = expectInteger(window.x0, call, 'window.x0');
  const y0 = expectInteger(window.y0, call, 'window.y0');
  const x1 = expectInteger(window.x1, call, 'window.x1');
  const y1 = expectInteger(window.y1, call, 'window.y1');
  check(guard('setWindow', () => e.setWindow(x0, y0, x1, y1)));
  return () => {
    if (!fatal) check(guard('clearWindow', () => e.clearWindow()));
  };
}

export interface OptimizeControl {
  /** This call's ticket; the call is cancelled once a cancel covers it. */
  ticket: number;
  /** Highest ticket cancelled before this call was sent (covers a restart in between). */
  cancelledTicket: number;
  /** Shared cancel slot (see CANCEL_SLOT), when the page is cross-origin isolated. */
  cancelFlag?: Int32Array;
}

const api = {
  /** Loads the Wasm module now (the build is picked by feature detection unless given). */
  async load(options: LoadOptions = {}): Promise<EngineInfo> {
    if (!options || typeof options !== 'object')
      throw namedError(ENGINE_ERROR, 'load(options): options must be an object');
    await load(options);
    return api.info();
  },

  async info(): Promise<EngineInfo> {
    const { module, engine: e } = await load();
    return guard('info', () => ({
      flavour: module.buildFlavour(),
      threads: module.threads(),
      maxThreads: module.maxThreads(),
      width: e.width(),
      height: e.height(),
      channels: e.channels(),
      shapeCount: e.shapeCount(),
      valueCount: e.valueCount(),
    }));
  },

  /** The engine's shape table: every host lays out and validates scenes from this. */
  async shapeModel(): Promise<ShapeModel> {
    const { module } = await load();
    return guard('shapeModel', () => module.shapeModel());
  },

  async init(width: number, height: number, model: Model = ORIGINAL_MODEL): Promise<void> {
    const e = await engine();
    const call = 'init(width, height, model)';
    const w = expectInteger(width, call, 'width');
    const h = expectInteger(height, call, 'height');
    if (!model || typeof model !== 'object') throw namedError(ENGINE_ERROR, `${call}: model must be an object`);
    const settings = {
      channels: expectInteger(model.channels, call, 'model.channels'),
      opacity: Boolean(model.opacity),
      fitBackground: Boolean(model.fitBackground),
    };
    check(guard('init', () => e.init(w, h, settings)));
  },

  async setTarget(pixels: Float32Array): Promise<void> {
    const e = await engine();
    const data = expect(pixels, Float32Array, 'setTarget(pixels)');
    check(
      guard('setTarget', () => {
        e.floatInput(data.length).set(data);
        return e.setTarget(data.length);
      }),
    );
  },

  async setScene(types: Int32Array, values: Float64Array, background: Float64Array): Promise<void> {
    const e = await engine();
    const call = 'setScene(types, values, background)';
    const codes = expect(types, Int32Array, call);
    const params = expect(values, Float64Array, call);
    const canvas = expect(background, Float64Array, call);
    check(
      guard('setScene', () => {
        // Each view is filled before the next staging call, which may grow memory.
        e.intInput(codes.length).set(codes);
        const staged = e.doubleInput(params.length + canvas.length);
        staged.set(params);
        staged.set(canvas, params.length);
        return e.setScene(codes.length, params.length, canvas.length);
      }),
    );
  },

  async setFrozen(mask: Uint8Array): Promise<void> {
    const e = await engine();
    const bytes = expect(mask, Uint8Array, 'setFrozen(mask)');
    check(
      guard('setFrozen', () => {
        e.byteInput(bytes.length).set(bytes);
        return e.setFrozen(bytes.length);
      }),
    );
  },

  async setWeights(weights: Partial<LossWeights>): Promise<void> {
    const e = await engine();
    const merged = { ...DEFAULT_WEIGHTS, ...weights };
    for (const [key, value] of Object.entries(merged)) expectNumber(value, 'setWeights(weights)', key);
    check(guard('setWeights', () => e.setWeights(merged)));
  },

  /** Loss and gradients at τ, over the whole canvas or only the given window. */
  async evaluate(tau: number, window?: PixelWindow): Promise<EvaluateResult> {
    const e = await engine();
    const t = expectNumber(tau, 'evaluate(tau, window)', 'tau');
    const restore = applyWindow(e, window, 'evaluate(tau, window)');
    let result: ReturnType<WasmEngine['evaluate']>;
    let gradients: Float32Array;
    try {
      result = guard('evaluate', () => e.evaluate(t, true));
      check(result);
      gradients = guard('evaluate', () => e.gradients().slice());
    } finally {
      restore();
    }
    return Comlink.transfer({ breakdown: { ...result.breakdown }, gradients }, [gradients.buffer]);
  },

  async render(tau: number, width: number, height: number): Promise<Float32Array> {
    const e = await engine();
    const t = expectNumber(tau, 'render(tau, width, height)', 'tau');
    const w = expectInteger(width, 'render(tau, width, height)', 'width');
    const h = expectInteger(height, 'render(tau, width, height)', 'height');
    const pixels = renderCopy(e, t, w, h);
    return Comlink.transfer(pixels, [pixels.buffer]);
  },

  /** New shapes on the residual of the current scene; the scene itself is not changed. */
  async propose(options: ProposeOptions): Promise<Proposals> {
    const e = await engine();
    const call = 'propose(options)';
    if (!options || typeof options !== 'object') throw namedError(ENGINE_ERROR, `${call}: options must be an object`);
    const settings = {
      count: expectInteger(options.count, call, 'count'),
      candidates: expectInteger(options.candidates ?? PROPOSE_DEFAULTS.candidates, call, 'candidates'),
      mutations: expectInteger(options.mutations ?? PROPOSE_DEFAULTS.mutations, call, 'mutations'),
      seed: expectInteger(options.seed ?? PROPOSE_DEFAULTS.seed, call, 'seed') >>> 0,
      typeMask: expectInteger(options.typeMask ?? PROPOSE_DEFAULTS.typeMask, call, 'typeMask') >>> 0,
    };
    const tau = expectNumber(options.tau ?? 0.5 / Math.max(e.width(), e.height(), 1), call, 'tau');
    check(guard('propose', () => e.propose(settings, tau)));
    const types = guard('propose', () => e.proposedTypes().slice());
    const values = guard('propose', () => e.proposedValues().slice());
    return Comlink.transfer({ types, values }, [types.buffer, values.buffer]);
  },

  /** The current scene (after optimize: the best one). */
  async getScene(): Promise<Omit<SceneValues, 'types'>> {
    const e = await engine();
    const scene = guard('getScene', () => currentScene(e));
    return Comlink.transfer(scene, [scene.values.buffer, scene.background.buffer]);
  },

  /**
   * The whole loop runs here. Steps run in chunks of about CHUNK_MS; between chunks the cancel
   * slot is read. Progress leaves at most once per PROGRESS_INTERVAL_MS and never while the
   * previous one is still unacknowledged, so a slow page slows the previews, not the loop.
   */
  async optimize(
    options: OptimizeOptions,
    onProgress: ((progress: Progress) => unknown) | undefined,
    control: OptimizeControl = { ticket: 0, cancelledTicket: -1 },
  ): Promise<OptimizeResult> {
    const e = await engine();
    const call = 'optimize(options)';
    if (!options || typeof options !== 'object') throw namedError(ENGINE_ERROR, `${call}: options must be an object`);
    const steps = expectInteger(options.steps, call, 'steps');
    const settings = {
      steps,
      lr: expectNumber(options.lr ?? OPTIMIZE_DEFAULTS.lr, call, 'lr'),
      tauStart: expectNumber(options.tauStart ?? OPTIMIZE_DEFAULTS.tauStart, call, 'tauStart'),
      tauEnd: expectNumber(options.tauEnd ?? OPTIMIZE_DEFAULTS.tauEnd, call, 'tauEnd'),
      clipNorm: expectNumber(options.clipNorm ?? OPTIMIZE_DEFAULTS.clipNorm, call, 'clipNorm'),
    };
    const previewEvery = Math.max(0, Math.floor(options.previewEvery ?? 0));
    const size = previewSize(e, options.previewSize);
    const isCancelled = (): boolean =>
      control.cancelledTicket >= control.ticket ||
      cancelledByMessage >= control.ticket ||
      (control.cancelFlag !== undefined && Atomics.load(control.cancelFlag, CANCEL_SLOT) >= control.ticket);

    const progressFor = (done: number, withPreview: boolean): Progress => {
      const breakdown: Breakdown = breakdownAt(
        guard('history', () => e.history()),
        done - 1,
      );
      const progress: Progress = { step: done, steps, breakdown };
      if (withPreview) {
        const tau = scheduledTau(e, settings, done, steps);
        const preview: Preview = { ...size, pixels: renderCopy(e, tau, size.width, size.height) };
        progress.preview = preview;
      }
      return progress;
    };
    const send = (progress: Progress): Promise<unknown> => {
      const transfer = progress.preview ? [progress.preview.pixels.buffer] : [];
      return Promise.resolve(onProgress?.(Comlink.transfer(progress, transfer)));
    };

    // The callback arrives as a proxy holding a message port; closing it lets Node exit.
    const release = (): void =>
      (onProgress as unknown as { [Comlink.releaseProxy]?: () => void } | undefined)?.[Comlink.releaseProxy]?.();

    let restoreWindow: () => void = () => undefined;
    try {
      restoreWindow = applyWindow(e, options.window, call);
      check(guard('optimizeBegin', () => e.optimizeBegin(settings)));
    } catch (error) {
      try {
        restoreWindow();
      } finally {
        release();
      }
      throw error;
    }
    const stepMs: number[] | undefined = options.recordStepTimes ? [] : undefined;
    const loopStarted = now();
    let cancelled = false;
    let done = 0;
    let chunk = 1;
    let lastProgress = -Infinity;
    let lastYield = now();
    let lastPreviewStep = 0;
    let inFlight = false;
    try {
      for (;;) {
        if (isCancelled()) {
          cancelled = true;
          break;
        }
        if (wasm) applyThreads(wasm.module);
        const started = now();
        const result = guard('optimizeSteps', () => e.optimizeSteps(chunk));
        check(result);
        if (stepMs && result.steps === 1) stepMs.push(now() - started);
        done += result.steps;
        if (result.finished) break;
        const t = now();
        // Aim each chunk at CHUNK_MS, growing at most 2× at a time so a slow step cannot stall cancel.
        if (result.steps > 0) {
          const perStep = Math.max((t - started) / result.steps, 1e-3);
          chunk = stepMs ? 1 : Math.max(1, Math.min(chunk * 2, Math.floor(CHUNK_MS / perStep)));
        }
        if (onProgress && done > 0 && !inFlight && t - lastProgress >= PROGRESS_INTERVAL_MS) {
          const withPreview = previewEvery > 0 && done - lastPreviewStep >= previewEvery;
          if (withPreview) lastPreviewStep = done;
          inFlight = true;
          lastProgress = t;
          send(progressFor(done, withPreview)).then(
            () => (inFlight = false),
            () => (inFlight = false),
          );
        }
        if (t - lastYield >= PROGRESS_INTERVAL_MS) {
          await yieldToEventLoop();
          lastYield = now();
        }
      }
    } catch (error) {
      // Keep the best parameters so far even when a step was rejected.
      if (!fatal) e.optimizeEnd();
      if (!fatal) e.clearWindow();
      release();
      throw error;
    }
    check(guard('optimizeEnd', () => e.optimizeEnd()));
    restoreWindow();
    const elapsedMs = now() - loopStarted;
    const completed = guard('stepsCompleted', () => e.stepsCompleted());
    if (onProgress) {
      // The last report goes out unthrottled and is acknowledged before the result is sent, so
      // the caller always sees it first. Its preview shows the restored best parameters.
      if (completed > 0) await send(progressFor(completed, previewEvery > 0)).catch(() => undefined);
      release();
    }
    const history = guard('history', () => e.history().slice(0, completed * FLOATS_PER_BREAKDOWN));
    const { values, background } = guard('values', () => currentScene(e));
    const result: OptimizeResult = {
      values,
      background,
      history,
      bestLoss: e.bestLoss(),
      stepsCompleted: completed,
      cancelled,
      elapsedMs,
    };
    const transfer: Transferable[] = [values.buffer, history.buffer, background.buffer];
    if (stepMs) {
      result.stepMs = Float32Array.from(stepMs);
      transfer.push(result.stepMs.buffer);
    }
    return Comlink.transfer(result, transfer);
  },

  /** Cancels every optimize call up to this ticket (used when shared memory is unavailable). */
  cancel(ticket: number): void {
    cancelledByMessage = Math.max(cancelledByMessage, ticket);
  },

  /** Deliberate abort inside Wasm, for the crash-recovery tests. */
  async debugAbort(): Promise<void> {
    const { module } = await load();
    guard('debugAbort', () => module.debugAbort());
  },
};

export type EngineApi = typeof api;

if (IS_NODE) {
  const { parentPort } = nodeBuiltin<NodeWorkerThreads>('node:worker_threads');
  if (!parentPort) throw new Error('engine.worker: must run inside a worker thread');
  Comlink.expose(api, nodeEndpoint(parentPort as Parameters<typeof nodeEndpoint>[0]));
} else {
  Comlink.expose(api);
}
