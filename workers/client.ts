// The client-side bridge: the one place that owns engine workers. Each EngineClient starts its
// worker, chains every call on a queue, and keeps a snapshot of the last good state (size,
// target, scene, frozen mask, weights). When the worker crashes or dies, the bridge terminates it,
// starts a new one, restores the snapshot, and only then rejects the call with EngineCrashed.
//
// Browser: imported as workers/client.ts through Vite. Node: build/workers/client.js.
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import type { EngineApi } from './engine.worker.js';
import {
  CANCEL_SLOT,
  ENGINE_ABORTED,
  ENGINE_CRASHED,
  ENGINE_ERROR,
  ensureError,
  namedError,
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
  type ProposeOptions,
  type Proposals,
  type Progress,
  THREADS_SLOT,
} from './protocol.js';
import {
  IS_NODE,
  hardwareConcurrency,
  hostThreads,
  nodeBuiltin,
  type NodeWorker,
  type NodeWorkerThreads,
} from './runtime.js';
import type { Flavour } from './wasm-loader.js';

export * from './protocol.js';
export type { EngineApi } from './engine.worker.js';
export type { Flavour } from './wasm-loader.js';

export interface EngineOptions {
  /** Force a build instead of feature detection (benchmarks compare them). */
  flavour?: Flavour;
  /**
   * Keep to the single-threaded builds (simd, baseline) even where the threads build would run:
   * the path of pages without cross-origin isolation, for tests and for hosts that want it.
   */
  singleThread?: boolean;
  /**
   * At most this many threads for one evaluation (default: no cap). The engine otherwise gets its
   * share of the cores: the logical cores divided by the engines busy at that moment.
   */
  threads?: number;
  /**
   * Cancel through shared memory (default: whenever SharedArrayBuffer is usable). false forces
   * the message path that pages without cross-origin isolation use.
   */
  sharedCancel?: boolean;
}

export interface EngineClient {
  /** Canvas size and model (default: the original's); a new model drops the scene. */
  init(width: number, height: number, model?: Model): Promise<void>;
  /** channels planes of width × height. */
  setTarget(pixels: Float32Array): Promise<void>;
  setScene(types: Int32Array, values: Float64Array, background: Float64Array): Promise<void>;
  setFrozen(mask: Uint8Array): Promise<void>;
  setWeights(weights: Partial<LossWeights>): Promise<void>;
  /** Loss and gradients at τ; with a window, of that window only (see PixelWindow). */
  evaluate(tau: number, window?: PixelWindow): Promise<EvaluateResult>;
  render(tau: number, width: number, height: number): Promise<Float32Array>;
  getScene(): Promise<Omit<SceneValues, 'types'>>;
  /** New shapes on the residual of the current scene (the scene is not changed). */
  propose(options: ProposeOptions): Promise<Proposals>;
  info(): Promise<EngineInfo>;
  /** The engine's shape table (the same for every engine of a build). */
  shapeModel(): Promise<ShapeModel>;
  optimize(options: OptimizeOptions, onProgress?: (progress: Progress) => void): Promise<OptimizeResult>;
  /** Stops the running optimize (and any already queued) within one chunk; not queued itself. */
  cancel(): void;
  /**
   * Stops now, whatever is running: terminates the worker, rejects the running call with
   * AbortError, starts a new worker and restores the last good state. Queued calls then run.
   */
  stop(): void;
  terminate(): void;
  /** Deliberately aborts inside Wasm; for the crash-recovery tests. */
  debugAbort(): Promise<void>;
  /** Workers started so far (1 + restarts). */
  readonly generation: number;
}

export interface EnginePool {
  readonly size: number;
  /** Threads each engine gets when all of them are busy (cores / size, at least 1). */
  readonly threadsPerEngine: number;
  acquire(): Promise<EngineClient>;
  release(client: EngineClient): void;
  /** Runs fn over items with at most `size` at once; results keep the order of items. */
  map<T, R>(items: readonly T[], fn: (item: T, engine: EngineClient, index: number) => Promise<R>): Promise<R[]>;
  terminate(): void;
}

// ---------------------------------------------------------------------------------------------
// Starting and stopping one worker.

interface WorkerHandle {
  remote: Comlink.Remote<EngineApi>;
  /** Rejects when the worker dies or is killed; never resolves. Calls race against it. */
  died: Promise<never>;
  dead: boolean;
  /** Terminates the worker; calls still waiting on it reject with `reason`. */
  kill(reason: Error): void;
}

// A variable, not a literal: Vite must not try to bundle the compiled Node worker.
const NODE_WORKER_FILE = './engine.worker.js';

function startWorker(): WorkerHandle {
  let reject!: (error: Error) => void;
  const died = new Promise<never>((_, r) => (reject = r));
  died.catch(() => undefined);
  let terminate: () => void;
  const handle = { died, dead: false } as WorkerHandle;
  const onDeath = (error: Error): void => {
    if (handle.dead) return;
    handle.dead = true;
    reject(error);
  };
  const crashed = (reason: string): void => onDeath(namedError(ENGINE_CRASHED, `The engine worker died: ${reason}.`));
  if (IS_NODE) {
    const { Worker } = nodeBuiltin<NodeWorkerThreads>('node:worker_threads');
    const worker: NodeWorker = new Worker(new URL(NODE_WORKER_FILE, import.meta.url), { name: 'pelican-engine' });
    worker.once('error', (error) => crashed(`${error.name}: ${error.message}`));
    worker.once('exit', (code) => crashed(`exit code ${code}`));
    handle.remote = Comlink.wrap<EngineApi>(nodeEndpoint(worker as Parameters<typeof nodeEndpoint>[0]));
    terminate = () => void worker.terminate();
  } else {
    const worker = new Worker(new URL('./engine.worker.ts', import.meta.url), {
      type: 'module',
      name: 'pelican-engine',
    });
    worker.addEventListener('error', (event) => crashed(event.message || 'error event'));
    worker.addEventListener('messageerror', () => crashed('a message could not be deserialised'));
    handle.remote = Comlink.wrap<EngineApi>(worker);
    terminate = () => worker.terminate();
  }
  handle.kill = (reason) => {
    onDeath(reason);
    terminate();
  };
  return handle;
}

// ---------------------------------------------------------------------------------------------
// Transfers.

type View = Float32Array | Float64Array | Int32Array | Uint8Array;

/**
 * Hands `view` over without a structured-clone copy: its buffer is transferred, and the sender's
 * array is detached at once, at the call, even while the call waits in the queue (so a later
 * write by the caller cannot change what is sent). A view onto part of a larger buffer is copied
 * first, so the caller's other data is neither detached nor shipped.
 */
function handOver<T extends View>(view: T): T {
  if (!ArrayBuffer.isView(view)) return view; // the worker rejects it with a clear EngineError
  if (typeof SharedArrayBuffer !== 'undefined' && view.buffer instanceof SharedArrayBuffer) return view;
  const whole = view.byteOffset === 0 && view.byteLength === view.buffer.byteLength;
  const own = (whole ? view : view.slice()) as T;
  // A same-realm transfer moves the backing store; nothing is copied.
  const moved = structuredClone(own, { transfer: [own.buffer as ArrayBuffer] });
  return Comlink.transfer(moved, [moved.buffer as ArrayBuffer]);
}

/** The copy kept for crash recovery: the one deliberate copy, since the original is transferred. */
function keep<T extends View>(view: T): T | undefined {
  return ArrayBuffer.isView(view) ? (view.slice() as T) : undefined;
}

function sharedSlot(): Int32Array | undefined {
  // Shared memory needs cross-origin isolation in browsers; Node always has it.
  const isolated = IS_NODE || (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  if (!isolated || typeof SharedArrayBuffer === 'undefined') return undefined;
  return new Int32Array(new SharedArrayBuffer(4));
}

// ---------------------------------------------------------------------------------------------
// Sharing the cores. Every engine with a call queued or running is busy; each gets
// max(1, floor(cores / busy engines)) threads, written to its thread slot (THREADS_SLOT), which
// its worker reads before each call and between chunks of steps. So a pool of 2 on 2 cores runs
// 1 + 1 threads while both work, and the one left working gets 2 within a chunk (≤ CHUNK_MS).

const liveEngines = new Set<Engine>();

function shareCores(): void {
  let busy = 0;
  for (const engine of liveEngines) if (engine.busy) busy += 1;
  const share = Math.max(1, Math.floor(hardwareConcurrency() / Math.max(1, busy)));
  for (const engine of liveEngines) engine.shareThreads(share);
}

// ---------------------------------------------------------------------------------------------
// One engine.

interface Snapshot {
  size?: [number, number];
  model?: Model;
  target?: Float32Array;
  scene?: SceneValues;
  frozen?: Uint8Array;
  weights?: Partial<LossWeights>;
}

class Engine implements EngineClient {
  #handle: WorkerHandle;
  #queue: Promise<unknown> = Promise.resolve();
  #snapshot: Snapshot = {};
  #closed: Error | undefined;
  #ticket = 0;
  #cancelledTicket = 0;
  readonly #cancelFlag: Int32Array | undefined;
  readonly #threadSlot: Int32Array | undefined;
  readonly #options: EngineOptions;
  #pending = 0;
  generation = 1;

  constructor(options: EngineOptions) {
    this.#options = options;
    this.#cancelFlag = options.sharedCancel === false ? undefined : sharedSlot();
    this.#threadSlot = options.singleThread ? undefined : sharedSlot();
    if (this.#threadSlot) Atomics.store(this.#threadSlot, THREADS_SLOT, 1);
    liveEngines.add(this);
    this.#handle = startWorker();
    // Loading first surfaces a missing or broken build on the first call, not deep in a run.
    void this.#enqueue(() => this.#call((remote) => remote.load(this.#loadOptions()))).catch(() => undefined);
  }

  /** A call is queued or running. */
  get busy(): boolean {
    return this.#pending > 0;
  }

  /** Sets the threads this engine uses from its next call or chunk of steps on. */
  shareThreads(share: number): void {
    if (!this.#threadSlot) return;
    const cap = this.#options.threads !== undefined ? Math.max(1, Math.floor(this.#options.threads)) : share;
    Atomics.store(this.#threadSlot, THREADS_SLOT, Math.min(share, cap));
  }

  #loadOptions(): LoadOptions {
    const { flavour, singleThread } = this.#options;
    return { flavour, singleThread, threadSlot: this.#threadSlot };
  }

  init(width: number, height: number, model: Model = ORIGINAL_MODEL): Promise<void> {
    const kept = { ...model };
    return this.#enqueue(() =>
      this.#call(async (remote) => {
        await remote.init(width, height, kept);
        // As in the engine: a new size drops the target and keeps scene, mask and weights; a new
        // model drops the scene and mask as well.
        const old = this.#snapshot.model ?? ORIGINAL_MODEL;
        const sameModel =
          old.channels === kept.channels && old.opacity === kept.opacity && old.fitBackground === kept.fitBackground;
        this.#snapshot = { ...this.#snapshot, size: [width, height], model: kept, target: undefined };
        if (!sameModel) this.#snapshot = { ...this.#snapshot, scene: undefined, frozen: undefined };
      }),
    );
  }

  setTarget(pixels: Float32Array): Promise<void> {
    const kept = keep(pixels);
    const sent = handOver(pixels);
    return this.#enqueue(() =>
      this.#call(async (remote) => {
        await remote.setTarget(sent);
        this.#snapshot.target = kept;
      }),
    );
  }

  setScene(types: Int32Array, values: Float64Array, background: Float64Array): Promise<void> {
    const kept = { types: keep(types), values: keep(values), background: keep(background) };
    const sent = [handOver(types), handOver(values), handOver(background)] as const;
    return this.#enqueue(() =>
      this.#call(async (remote) => {
        await remote.setScene(...sent);
        if (kept.types && kept.values && kept.background) {
          this.#snapshot.scene = { types: kept.types, values: kept.values, background: kept.background };
        }
        // As in the engine: a new scene starts with nothing frozen.
        this.#snapshot.frozen = undefined;
      }),
    );
  }

  setFrozen(mask: Uint8Array): Promise<void> {
    const kept = keep(mask);
    const sent = handOver(mask);
    return this.#enqueue(() =>
      this.#call(async (remote) => {
        await remote.setFrozen(sent);
        this.#snapshot.frozen = kept;
      }),
    );
  }

  setWeights(weights: Partial<LossWeights>): Promise<void> {
    return this.#enqueue(() =>
      this.#call(async (remote) => {
        await remote.setWeights(weights);
        this.#snapshot.weights = { ...weights };
      }),
    );
  }

  evaluate(tau: number, window?: PixelWindow): Promise<EvaluateResult> {
    return this.#enqueue(() => this.#call((remote) => remote.evaluate(tau, window)));
  }

  render(tau: number, width: number, height: number): Promise<Float32Array> {
    return this.#enqueue(() => this.#call((remote) => remote.render(tau, width, height)));
  }

  getScene(): Promise<Omit<SceneValues, 'types'>> {
    return this.#enqueue(() => this.#call((remote) => remote.getScene()));
  }

  propose(options: ProposeOptions): Promise<Proposals> {
    return this.#enqueue(() => this.#call((remote) => remote.propose(options)));
  }

  shapeModel(): Promise<ShapeModel> {
    return this.#enqueue(() => this.#call((remote) => remote.shapeModel()));
  }

  info(): Promise<EngineInfo> {
    return this.#enqueue(() => this.#call((remote) => remote.info()));
  }

  optimize(options: OptimizeOptions, onProgress?: (progress: Progress) => void): Promise<OptimizeResult> {
    const ticket = ++this.#ticket;
    return this.#enqueue(() =>
      this.#call(async (remote) => {
        const control = { ticket, cancelledTicket: this.#cancelledTicket, cancelFlag: this.#cancelFlag };
        const result = await remote.optimize(options, onProgress ? Comlink.proxy(onProgress) : undefined, control);
        // The optimised parameters are now the last good scene.
        const scene = this.#snapshot.scene;
        if (scene)
          this.#snapshot.scene = {
            types: scene.types,
            values: result.values.slice(),
            background: result.background.slice(),
          };
        return result;
      }),
    );
  }

  cancel(): void {
    this.#cancelledTicket = this.#ticket;
    if (this.#cancelFlag) Atomics.store(this.#cancelFlag, CANCEL_SLOT, this.#cancelledTicket);
    else if (!this.#closed) this.#handle.remote.cancel(this.#cancelledTicket).catch(() => undefined);
  }

  stop(): void {
    if (this.#closed || this.#handle.dead) return;
    this.#handle.kill(namedError(ENGINE_ABORTED, 'The engine call was stopped.'));
  }

  terminate(): void {
    if (this.#closed) return;
    this.#closed = namedError(ENGINE_ERROR, 'This engine was terminated; create a new one.');
    this.#handle.kill(this.#closed);
    liveEngines.delete(this);
    shareCores();
  }

  debugAbort(): Promise<void> {
    return this.#enqueue(() => this.#call((remote) => remote.debugAbort()));
  }

  // -------------------------------------------------------------------------------------------

  #enqueue<T>(task: () => Promise<T>): Promise<T> {
    if (this.#pending++ === 0) shareCores();
    const run = this.#queue.then(task);
    const settled = (): void => {
      if (--this.#pending === 0) shareCores();
    };
    run.then(settled, settled);
    // The queue moves on whether or not this call failed.
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #call<T>(body: (remote: Comlink.Remote<EngineApi>) => Promise<T>): Promise<T> {
    if (this.#closed) throw this.#closed;
    // A worker stopped or dead while idle is replaced before the next call, not blamed on it.
    if (this.#handle.dead) await this.#restart(this.#handle);
    const handle = this.#handle;
    try {
      return await Promise.race([body(handle.remote), handle.died]);
    } catch (thrown) {
      if (this.#closed) throw this.#closed;
      const error = ensureError(thrown);
      if (error.name !== ENGINE_CRASHED && error.name !== ENGINE_ABORTED && !handle.dead) throw error;
      const restored = await this.#restart(handle);
      // A stop keeps its own kind: it was asked for, it is not a fault.
      const kind = error.name === ENGINE_ABORTED ? ENGINE_ABORTED : ENGINE_CRASHED;
      throw namedError(kind, `${error.message} The worker was replaced; ${restored}`);
    }
  }

  /** Replaces a crashed worker and re-sends the last good state; says what was restored. */
  async #restart(crashed: WorkerHandle): Promise<string> {
    crashed.kill(namedError(ENGINE_CRASHED, 'The engine worker was replaced.'));
    this.#handle = startWorker();
    this.generation += 1;
    const { remote } = this.#handle;
    const s = this.#snapshot;
    const restored: string[] = [];
    try {
      await Promise.race([
        (async () => {
          await remote.load(this.#loadOptions());
          if (!s.size) return;
          await remote.init(s.size[0], s.size[1], s.model ?? ORIGINAL_MODEL);
          restored.push('size');
          if (s.weights) {
            await remote.setWeights(s.weights);
            restored.push('weights');
          }
          // Copies again: the snapshot must survive the next crash too.
          if (s.target) {
            await remote.setTarget(handOver(s.target.slice()));
            restored.push('target');
          }
          if (s.scene) {
            const { types, values, background } = s.scene;
            await remote.setScene(handOver(types.slice()), handOver(values.slice()), handOver(background.slice()));
            restored.push('scene');
          }
          if (s.frozen) {
            await remote.setFrozen(handOver(s.frozen.slice()));
            restored.push('frozen mask');
          }
        })(),
        this.#handle.died,
      ]);
    } catch (error) {
      return `restoring the last state failed (${ensureError(error).message}).`;
    }
    return restored.length > 0 ? `restored: ${restored.join(', ')}.` : 'there was no state to restore.';
  }
}

export function createEngine(options: EngineOptions = {}): EngineClient {
  // The caller's options win over the host's PELICAN_THREADS.
  return new Engine({ ...hostThreads(), ...options });
}

// ---------------------------------------------------------------------------------------------
// A pool of engines, for evaluating several candidates at once.

/** Above this, workers mostly compete for memory bandwidth and start-up time. */
export const MAX_POOL_SIZE = 8;

export function defaultPoolSize(): number {
  return Math.max(1, Math.min(MAX_POOL_SIZE, hardwareConcurrency()));
}

export function createEnginePool(options: { size?: number } & EngineOptions = {}): EnginePool {
  const size = Math.max(1, Math.min(MAX_POOL_SIZE, Math.floor(options.size ?? defaultPoolSize())));
  const all: EngineClient[] = [];
  const idle: EngineClient[] = [];
  const waiting: { resolve: (engine: EngineClient) => void; reject: (error: Error) => void }[] = [];
  let closed: Error | undefined;

  const pool: EnginePool = {
    size,
    threadsPerEngine: Math.max(1, Math.floor(hardwareConcurrency() / size)),
    acquire(): Promise<EngineClient> {
      if (closed) return Promise.reject(closed);
      const free = idle.pop();
      if (free) return Promise.resolve(free);
      if (all.length < size) {
        const engine = createEngine(options);
        all.push(engine);
        return Promise.resolve(engine);
      }
      return new Promise((resolve, reject) => waiting.push({ resolve, reject }));
    },
    release(engine: EngineClient): void {
      if (closed || !all.includes(engine) || idle.includes(engine)) return;
      const next = waiting.shift();
      if (next) next.resolve(engine);
      else idle.push(engine);
    },
    async map<T, R>(
      items: readonly T[],
      fn: (item: T, engine: EngineClient, index: number) => Promise<R>,
    ): Promise<R[]> {
      const results = new Array<R>(items.length);
      let next = 0;
      const lane = async (): Promise<void> => {
        while (next < items.length) {
          const index = next++;
          const engine = await pool.acquire();
          try {
            results[index] = await fn(items[index], engine, index);
          } finally {
            pool.release(engine);
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(size, items.length) }, lane));
      return results;
    },
    terminate(): void {
      if (closed) return;
      closed = namedError(ENGINE_ERROR, 'This engine pool was terminated; create a new one.');
      for (const waiter of waiting.splice(0)) waiter.reject(closed);
      for (const engine of all) engine.terminate();
      idle.length = 0;
    },
  };
  return pool;
}
