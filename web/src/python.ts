// The page's side of Python. Python runs in its own worker (web/src/python.worker.ts), never on
// this thread; this module starts it, answers its calls on the page bridge (main.ts's page
// module) and gives the page today's functions over the messages of web/src/page-protocol.ts.

import { poolSize } from './engine';
import {
  SYNC_DONE,
  SYNC_TOO_BIG,
  encodeAnswer,
  errorFromRecord,
  recordOf,
  type FromWorker,
  type PageBridge,
  type PageRunHooks,
  type PageRunKind,
  type PageRunResult,
  type PythonStart,
  type SyncAnswer,
  type ToWorker,
} from './page-protocol';

export { PythonError, type PythonStart } from './page-protocol';

export interface PythonRuntime {
  /** Runs code in the console's namespace; the value of the last expression comes back as JS. */
  run(code: string): Promise<unknown>;
  /** True when `code` is a complete statement (so Enter runs it rather than adding a line). */
  isComplete(code: string): Promise<boolean>;
  /** Ctrl+C: cancels console code at its await, or interrupts code that never yields. */
  interrupt(): void;
  /** A console or devtools run is going on. */
  readonly busy: boolean;
  /** Stops every page run going on: one message each, which cancels its engines in the worker. */
  stopRuns(): void;
  pelicanVersion: string | null;
  /** 'snapshot': resumed from the build's memory snapshot (py/host/make-snapshot.mjs); 'cold': started from scratch. */
  start: PythonStart;
  /** The page's calls into web/src/pelican_app.py. */
  bridge: {
    has_vectorize(): Promise<boolean>;
    /** A page run; `hooks` get its rounds and progress (stopRuns() stops it). */
    run_page_action(kind: PageRunKind, args: object, hooks: PageRunHooks): Promise<PageRunResult>;
    /** One console entry: the repr of its final expression, or null. */
    console_run(code: string): Promise<string | null>;
    /** pelican.to_svg's file; a bad scene rejects with an Error named SceneError. */
    export_svg(sceneJson: string, width?: number, height?: number): Promise<string>;
    /** The scene (pelican-scene JSON) of one of our SVGs; anything else rejects with SceneError. */
    import_svg(text: string): Promise<string>;
  };
}

/** How long the page lets the worker take to see a Ctrl+C before it interrupts Python's thread. */
const INTERRUPT_GRACE_MS = 300;

let worker: Worker | undefined;
let interruptsSeen = 0;
/** Console entries past their Ctrl+C check (they may hold the worker's thread). */
const evalsStarted = new Set<number>();
let started: Promise<PythonStart> | undefined;
let calls = 0;
const replies = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
/** [0] Pyodide's interrupt buffer, read by Python's eval loop in the worker. */
const interruptFlag = new Int32Array(new SharedArrayBuffer(4));
let page: PageBridge | null = null;
let pendingAnswer: { control: Int32Array; bytes: Uint8Array } | null = null;
let onOutput: ((text: string, stream: 'out' | 'err') => void) | null = null;
let onStatus: ((s: string) => void) | null = null;
const early: FromWorker[] = [];
let tokens = 0;
const runHooks = new Map<number, PageRunHooks>();
let readyMessage: Promise<Extract<FromWorker, { type: 'ready' }>> | undefined;
let settleReady: { resolve(m: Extract<FromWorker, { type: 'ready' }>): void; reject(e: Error): void };

const pyodideBase = () => new URL('pyodide/', document.baseURI).href;
const coldStartAsked = () => new URLSearchParams(location.search).get('python') === 'cold';

function send(message: ToWorker, transfer: Transferable[] = []) {
  worker!.postMessage(message, transfer);
}

function request<T>(message: ToWorker & { id: number }, transfer: Transferable[] = []): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    replies.set(message.id, { resolve: resolve as (v: unknown) => void, reject });
    send(message, transfer);
  });
}

/** Starts the Python worker and its download of the snapshot; Python itself starts on startPyodide(). */
export function prefetchPyodide(): void {
  if (worker) return;
  readyMessage = new Promise((resolve, reject) => (settleReady = { resolve, reject }));
  readyMessage.catch(() => undefined);
  worker = new Worker(new URL('./python.worker.ts', import.meta.url), { type: 'module', name: 'pelican-python' });
  worker.onmessage = ({ data }: MessageEvent<FromWorker>) => onWorkerMessage(data);
  worker.onerror = (e) =>
    settleReady.reject(new Error(`the Python worker failed to start: ${e.message || 'error event'}`));
  send({ type: 'prefetch', pyodideBase: pyodideBase(), cold: coldStartAsked() });
}

/**
 * Starts Python in its worker: resumed from the snapshot when the build has one for these
 * sources, otherwise from scratch. Resolves to how it started.
 */
export function startPyodide(): Promise<PythonStart> {
  prefetchPyodide();
  if (!started) {
    send({
      type: 'start',
      lang: browserLang(),
      poolSize: poolSize(),
      interrupt: interruptFlag.buffer as SharedArrayBuffer,
    });
    started = readyMessage!.then((m) => m.start);
  }
  return started;
}

/** LANG as Emscripten sets it for a fresh start in this browser (a resume takes it again). */
function browserLang(): string {
  return (navigator.languages?.[0] || 'C').replace('-', '_') + '.UTF-8';
}

function onWorkerMessage(m: FromWorker) {
  switch (m.type) {
    case 'output':
    case 'status':
      if (!onOutput) early.push(m);
      else if (m.type === 'output') onOutput(m.text, m.stream);
      else onStatus?.(m.text);
      return;
    case 'started':
      return;
    case 'ready':
      return settleReady.resolve(m);
    case 'failed':
      return settleReady.reject(errorFromRecord(m.error));
    case 'reply': {
      const waiting = replies.get(m.id);
      replies.delete(m.id);
      if (m.error) waiting?.reject(errorFromRecord(m.error));
      else waiting?.resolve(m.ok);
      return;
    }
    case 'round':
      return runHooks.get(m.token)?.round(m.record);
    case 'progress':
      return runHooks.get(m.token)?.progress(m.progress);
    case 'interrupt-seen':
      interruptsSeen++;
      return;
    case 'eval-started':
      evalsStarted.add(m.id);
      return;
    case 'page-call': {
      const [kind, json] = m.args as [string, string];
      const answer = page ? page.run(kind, json) : Promise.reject(new Error('the page is not attached to Python'));
      answer.then(
        (ok) => send({ type: 'page-reply', id: m.id, ok }),
        (e) => send({ type: 'page-reply', id: m.id, error: recordOf(e) }),
      );
      return;
    }
    case 'page-sync': {
      let answer: SyncAnswer;
      try {
        if (!page) throw new Error('the page is not attached to Python');
        answer = { ok: (page[m.method] as (...a: unknown[]) => unknown)(...m.args) };
      } catch (e) {
        answer = { error: recordOf(e) };
      }
      const bytes = encodeAnswer(answer);
      const control = new Int32Array(m.control);
      control[1] = bytes.length;
      if (bytes.length <= m.data.byteLength) {
        new Uint8Array(m.data).set(bytes);
        Atomics.store(control, 0, SYNC_DONE);
      } else {
        pendingAnswer = { control, bytes };
        Atomics.store(control, 0, SYNC_TOO_BIG);
      }
      Atomics.notify(control, 0);
      return;
    }
    case 'page-sync-more': {
      const { control, bytes } = pendingAnswer!;
      pendingAnswer = null;
      new Uint8Array(m.data).set(bytes);
      Atomics.store(control, 0, SYNC_DONE);
      Atomics.notify(control, 0);
      return;
    }
  }
}

export async function loadPython(
  pageBridge: PageBridge,
  output: (text: string, stream: 'out' | 'err') => void,
  status: (s: string) => void,
  /** Told when console/devtools code starts running and when none is left. */
  busyChanged: (busy: boolean) => void = () => undefined,
): Promise<PythonRuntime> {
  page = pageBridge;
  onOutput = output;
  onStatus = status;
  status('loading Python (Pyodide)…');
  for (const m of early.splice(0)) onWorkerMessage(m);
  void startPyodide();
  const ready = await readyMessage!;

  /** Ids of the console/devtools evaluations not answered yet. */
  const running = new Set<number>();
  const evaluate = async <T>(code: string, repr: boolean): Promise<T> => {
    Atomics.store(interruptFlag, 0, 0); // an old Ctrl+C must not hit this run
    const id = ++calls;
    running.add(id);
    if (running.size === 1) busyChanged(true);
    try {
      return await request<T>({ type: 'eval', id, code, repr });
    } finally {
      running.delete(id);
      evalsStarted.delete(id);
      // A SIGINT set just as the last evaluation answered must not hit the next Python to run.
      if (running.size === 0) {
        Atomics.store(interruptFlag, 0, 0);
        busyChanged(false);
      }
    }
  };
  const call = <T>(fn: 'export_svg' | 'import_svg', args: unknown[]) =>
    request<T>({ type: 'call', id: ++calls, fn, args });

  return {
    start: ready.start,
    pelicanVersion: ready.pelicanVersion,
    stopRuns() {
      for (const token of runHooks.keys()) send({ type: 'stop', token });
    },
    get busy() {
      return running.size > 0;
    },
    run: (code) => evaluate<unknown>(code, false),
    isComplete: (code) => request<boolean>({ type: 'complete', id: ++calls, code }),
    interrupt() {
      // The worker cancels code that awaits at once; if it does not answer, Python holds its
      // thread (`while True: pass`), and the interrupt buffer stops it at its next bytecode.
      // A free worker answers at once (it cancels what awaits, and what has not started stops at
      // its start); no answer within the grace means Python holds its thread.
      // Only an entry that has started can hold the thread: one still queued (a slow worker has
      // not read the Ctrl+C yet either) stops at its start once it does, and a SIGINT set while
      // the worker is free would land in whatever Python it runs next (its event loop).
      const targets = [...running];
      const seen = interruptsSeen;
      send({ type: 'interrupt' });
      const check = () => {
        if (interruptsSeen !== seen || !targets.some((id) => running.has(id))) return;
        if (targets.some((id) => running.has(id) && evalsStarted.has(id)))
          Atomics.store(interruptFlag, 0, 2); // SIGINT
        else setTimeout(check, INTERRUPT_GRACE_MS);
      };
      setTimeout(check, INTERRUPT_GRACE_MS);
    },
    bridge: {
      // Known since start-up: Run asks it before anything else, and must not wait a message for it.
      has_vectorize: () => Promise.resolve(ready.hasVectorize),
      console_run: (code) => evaluate<string | null>(code, true),
      export_svg: (json, width, height) => call<string>('export_svg', [json, width, height]),
      import_svg: (text) => call<string>('import_svg', [text]),
      async run_page_action(kind, args, hooks) {
        const token = ++tokens;
        // What Python works on is what the page had when the run started.
        const t = page!.getTarget();
        const target = { width: t.width, height: t.height, channels: t.channels, pixels: t.pixels.slice() };
        runHooks.set(token, hooks);
        try {
          return await request<PageRunResult>(
            { type: 'action', id: ++calls, token, kind, args, target, apiKey: hooks.apiKey() ?? '' },
            [target.pixels.buffer],
          );
        } finally {
          runHooks.delete(token);
        }
      },
    },
  };
}

/** Keeps the Python exception's class and traceback text; other throws become plain Errors. */
export function normalisePythonError(e: unknown): Error {
  if (e instanceof Error) return e;
  return new Error(String(e));
}
