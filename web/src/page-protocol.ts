// The one protocol file between the page and its Python worker (web/src/python.worker.ts): the
// messages both ways, the page calls Python may make (the page bridge, with today's names), the
// records a run sends, and the error names that keep their kind across the hop. As
// workers/protocol.ts is for the engine, everything both sides must agree on is here.
//
// Python never runs on the page's thread. Calls from the page are messages answered by id.
// Calls from Python to the page are messages too; the ones Python needs an answer to at once
// (`app.scene`, `app.scene = …`) block the Python worker on Atomics.wait until the page writes
// the answer into shared memory (the pages are cross-origin isolated), as Pyodide's own console
// and JupyterLite do for input().

import type { Breakdown } from '../../workers/protocol';

// ---------------------------------------------------------------------------------------------
// Records.

/** A round of a page run (greedy, vectorize, LLM), as pelican_app.py sends it. */
export interface PageRound {
  round: number;
  accepted: boolean;
  action?: string;
  shape_type?: string;
  shape_name?: string;
  loss_before?: number;
  loss_after?: number;
  num_shapes?: number;
  /** A pelican-scene document (web/src/scene.ts Scene), on accepted rounds. */
  scene?: unknown;
  message?: string;
  rolled_back?: boolean;
  error?: boolean;
  /** vectorize: shapes added this round, and the loss after it. */
  added?: number;
  loss?: number;
}

/** What a page run answers. */
export interface PageRunResult {
  scene?: unknown;
  loss?: number | null;
  cancelled?: boolean;
  /** Set when the run stopped on a failure (e.g. the LLM provider could not be reached). */
  error?: string;
  /** LLM: the returned (best) scene is not the last accepted round's. */
  rewound?: boolean;
  /** Greedy: why the search ended. */
  stopped?: 'cancelled' | 'budget' | 'failures';
  seconds?: number;
}

export type PageRunKind = 'greedy' | 'llm' | 'vectorize';

/** A progress record: what the engine sends (workers/protocol.ts Progress), without its preview. */
export interface PageProgress {
  step: number;
  steps: number;
  breakdown: Breakdown;
}

/** The hooks a page run reports to (main.ts's callPythonRun). */
export interface PageRunHooks {
  round(record: PageRound): void;
  progress(progress: PageProgress): void;
  /** Read once, when the run starts; held only by that run's client. */
  apiKey(): string;
}

/** The page's target as Python gets it: `channels` planes of width × height. */
export interface PageTarget {
  width: number;
  height: number;
  channels: number;
  pixels: Float32Array;
}

/**
 * The page bridge: what pelican_app.py (`app`) may ask of the page, with today's names
 * (main.ts's pageModule). Scenes travel as pelican-scene JSON text.
 */
export interface PageBridge {
  getScene(): string;
  setScene(json: string, label: string): void;
  getTarget(): PageTarget;
  setTarget(json: string, width: number, height: number, label: string, channels?: number): void;
  run(kind: string, json: string): Promise<string>;
  stop(): void;
  log(text: string): void;
}

/** Bridge calls Python waits for synchronously; `run` is awaited instead (it takes a while). */
export const SYNC_PAGE_CALLS = ['getScene', 'setScene', 'getTarget', 'setTarget', 'stop', 'log'] as const;
export type SyncPageCall = (typeof SYNC_PAGE_CALLS)[number];

// ---------------------------------------------------------------------------------------------
// Errors. pelican's own error classes cross by name, both ways: raised in Python they reject the
// page's call with an Error of that name; thrown by the page (a SceneError from scene.ts) they
// are raised in Python as pelican's class. Any other Python exception is a PythonError whose
// `type` is its class name; any other page error is a RuntimeError in Python.

export const PELICAN_ERRORS = [
  'SceneError',
  'ImageError',
  'EngineError',
  'EngineCrashed',
  'Cancelled',
  'HostError',
] as const;
export type PelicanErrorName = (typeof PELICAN_ERRORS)[number];

export interface ErrorRecord {
  name: string;
  message: string;
  /** For Python exceptions: the class name (also for PythonError). */
  type?: string;
}

export class PythonError extends Error {
  override name = 'PythonError';
  constructor(
    message: string,
    /** The Python exception's class name, kept across the hop (e.g. ValueError, KeyboardInterrupt). */
    readonly type: string,
  ) {
    super(message);
  }
}

/** The Error a record stands for: pelican's kinds by their own name, other Python ones as PythonError. */
export function errorFromRecord(r: ErrorRecord): Error {
  if (r.name === 'PythonError') return new PythonError(r.message, r.type ?? 'Exception');
  const error = new Error(r.message);
  error.name = r.name;
  if (r.type) (error as Error & { type?: string }).type = r.type;
  return error;
}

export function recordOf(e: unknown): ErrorRecord {
  if (e instanceof Error) return { name: e.name, message: e.message, type: (e as Error & { type?: string }).type };
  return { name: 'Error', message: String(e) };
}

// ---------------------------------------------------------------------------------------------
// Messages.

export type ToWorker =
  | {
      /** Sent at once: the worker starts downloading the snapshot. */
      type: 'prefetch';
      /** Where Pyodide's files are (the app's own origin). */
      pyodideBase: string;
      /** `?python=cold`: start from scratch even when the build has a snapshot. */
      cold: boolean;
    }
  | {
      /** Sent once the page has drawn its first render: Python and the engine pool start. */
      type: 'start';
      /** LANG as Emscripten sets it for a fresh start in this browser (a resume takes it again). */
      lang: string;
      poolSize: number;
      /** [0] Pyodide's interrupt buffer (SIGINT = 2), written by the page. */
      interrupt: SharedArrayBuffer;
    }
  | { type: 'eval'; id: number; code: string; repr: boolean }
  | { type: 'complete'; id: number; code: string }
  | { type: 'call'; id: number; fn: 'export_svg' | 'import_svg'; args: unknown[] }
  | { type: 'action'; id: number; token: number; kind: PageRunKind; args: object; target: PageTarget; apiKey: string }
  | { type: 'stop'; token: number }
  | { type: 'interrupt' }
  | { type: 'page-reply'; id: number; ok?: unknown; error?: ErrorRecord };

export type FromWorker =
  | { type: 'status'; text: string }
  | { type: 'started'; start: PythonStart }
  /** The worker was free when a Ctrl+C came: Python does not hold its thread. */
  | { type: 'interrupt-seen' }
  /** Console entry `id` has passed its Ctrl+C check and runs: from now on it may hold the thread. */
  | { type: 'eval-started'; id: number }
  | { type: 'ready'; start: PythonStart; pelicanVersion: string | null; hasVectorize: boolean }
  | { type: 'failed'; error: ErrorRecord }
  | { type: 'output'; text: string; stream: 'out' | 'err' }
  | { type: 'reply'; id: number; ok?: unknown; error?: ErrorRecord }
  | { type: 'round'; token: number; record: PageRound }
  | { type: 'progress'; token: number; progress: PageProgress }
  | { type: 'page-call'; id: number; method: 'run'; args: unknown[] }
  | { type: 'page-sync'; method: SyncPageCall; args: unknown[]; control: SharedArrayBuffer; data: SharedArrayBuffer }
  | { type: 'page-sync-more'; data: SharedArrayBuffer };

export type PythonStart = 'snapshot' | 'cold';

// ---------------------------------------------------------------------------------------------
// Synchronous answers: the page writes them into shared memory the Python worker waits on.
//
// control (Int32Array over 8 bytes): [0] state, [1] the answer's length in bytes. The worker
// posts 'page-sync' with state WAITING and waits; the page encodes the answer and sets DONE, or
// TOO_BIG when it does not fit in `data`: the worker then posts 'page-sync-more' with a buffer
// of that length, and the page copies the answer there and sets DONE.

export const SYNC_WAITING = 0;
export const SYNC_DONE = 1;
export const SYNC_TOO_BIG = 2;

export type SyncAnswer = { ok: unknown } | { error: ErrorRecord };

/**
 * An answer as bytes: u32 length of a JSON text, the text, then each Float32Array in it (as
 * {"$f32": [byteOffset, length]}) at 4-byte alignment. Targets are megabytes of floats:
 * JSON would multiply them by ten.
 */
export function encodeAnswer(answer: SyncAnswer): Uint8Array {
  const arrays: Float32Array[] = [];
  let offset = 0;
  const json = JSON.stringify(answer, (_key, value) => {
    if (value instanceof Float32Array) {
      arrays.push(value);
      const at = offset;
      offset += value.byteLength;
      return { $f32: [at, value.length] };
    }
    return value;
  });
  const text = new TextEncoder().encode(json);
  const head = 4 + text.length + ((4 - (text.length % 4)) % 4);
  const out = new Uint8Array(head + offset);
  new DataView(out.buffer).setUint32(0, text.length, true);
  out.set(text, 4);
  let at = head;
  for (const a of arrays) {
    out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), at);
    at += a.byteLength;
  }
  return out;
}

export function decodeAnswer(bytes: Uint8Array): SyncAnswer {
  const length = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true);
  // TextDecoder refuses views of shared memory: the text is copied out first.
  const text = new TextDecoder().decode(bytes.slice(4, 4 + length));
  const head = 4 + length + ((4 - (length % 4)) % 4);
  return JSON.parse(text, (_key, value) => {
    if (value && typeof value === 'object' && Array.isArray(value.$f32)) {
      const [at, n] = value.$f32 as [number, number];
      return new Float32Array(bytes.slice(head + at, head + at + 4 * n).buffer);
    }
    return value;
  }) as SyncAnswer;
}
