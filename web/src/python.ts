// Pyodide on the page: loaded from the app's own origin (vite.config.ts serves/copies the npm
// package at ./pyodide/), the py/pelican sources written into its file system, the engine pool
// registered as the `pelican_host` JS module (its contract: py/pelican/_host.py), then `import pelican`.
// The page's own hooks are a second module, `pelican_page`, used only by web/src/pelican_app.py.

import { loadClientModule, type EnginePool } from './engine';
import bridgeSource from './pelican_app.py?raw';
import thawSource from '../../py/host/pelican_thaw.py?raw';
import type { SnapshotReply } from './snapshot.worker';
import { explainMissingModule } from './offline-modules';
import { THAW_MODULE, resumeFromSnapshot, snapshotFileName, snapshotKey } from '../../py/host/snapshot-resume.mjs';

// Every .py under py/pelican, bundled as text. Empty until the python helper's package exists.
const pelicanSources = import.meta.glob<string>('../../py/pelican/**/*.py', {
  query: '?raw',
  import: 'default',
  eager: true,
});

export interface PyodideLike {
  runPythonAsync(code: string, opts?: { globals?: unknown; filename?: string }): Promise<unknown>;
  runPython(code: string, opts?: { globals?: unknown }): unknown;
  registerJsModule(name: string, module: object): void;
  setStdout(o: { batched: (s: string) => void }): void;
  setStderr(o: { batched: (s: string) => void }): void;
  setInterruptBuffer(b: Int32Array): void;
  FS: { mkdirTree(p: string): void; writeFile(p: string, data: string): void };
  globals: { get(name: string): unknown };
  pyimport(name: string): unknown;
  toPy(o: unknown): unknown;
  version: string;
}

export class PythonError extends Error {
  override name = 'PythonError';
  constructor(
    message: string,
    /** The Python exception's class name, kept across the hop (e.g. SceneError, KeyboardInterrupt). */
    readonly type: string,
  ) {
    super(message);
  }
}

const HOME = '/home/pyodide';

/** [path under /home/pyodide, text] of every Python file this page writes for Pyodide (the snapshot's key too). */
const PYTHON_FILES: Array<[string, string]> = [
  ...Object.entries(pelicanSources).map(([path, text]): [string, string] => [path.slice(path.indexOf('/py/') + 4), text]),
  [`${THAW_MODULE}.py`, thawSource],
];

export function hasPelicanPackage(): boolean {
  return Object.keys(pelicanSources).some((k) => k.endsWith('/pelican/__init__.py'));
}

export interface PythonRuntime {
  pyodide: PyodideLike;
  /** Runs code in the console's namespace; the value of the last expression comes back as JS. */
  run(code: string): Promise<unknown>;
  /** True when `code` is a complete statement (so Enter runs it rather than adding a line). */
  isComplete(code: string): boolean;
  interrupt(): void;
  /** The shared ints behind interrupt(): [0] is Pyodide's interrupt buffer. */
  flags: Int32Array;
  pelicanVersion: string | null;
  /** 'snapshot': resumed from the build's memory snapshot (py/host/make-snapshot.mjs); 'cold': started from scratch. */
  start: PythonStart;
  /** The page's bridge module (web/src/pelican_app.py). */
  bridge: Record<string, (...a: unknown[]) => Promise<unknown>>;
}

export type PythonStart = 'snapshot' | 'cold';

interface PyodideModule {
  loadPyodide(o: object): Promise<PyodideLike>;
}

interface Snapshot {
  length: Promise<number | null>;
  file: Promise<Uint8Array | null>;
}
let snapshotDownload: Snapshot | undefined;
let pyodideBoot: Promise<{ pyodide: PyodideLike; start: PythonStart }> | undefined;

const pyodideBase = () => new URL('pyodide/', document.baseURI).href;

const coldStartAsked = () => new URLSearchParams(location.search).get('python') === 'cold';

/**
 * The build's snapshot of Python with pelican imported, if there is one for exactly these sources
 * (null otherwise, and for `?python=cold`, which forces a start from scratch).
 */
function downloadSnapshot(): Snapshot {
  if (coldStartAsked()) return { length: Promise.resolve(null), file: Promise.resolve(null) };
  const url = pyodideBase() + snapshotFileName(snapshotKey(__PYODIDE_VERSION__, PYTHON_FILES));
  const worker = new Worker(new URL('./snapshot.worker.ts', import.meta.url), { type: 'module' });
  let announce: (length: number | null) => void;
  let deliver: (file: Uint8Array | null) => void;
  const length = new Promise<number | null>((done) => (announce = done));
  const file = new Promise<Uint8Array | null>((done) => (deliver = done));
  const finish = (result: Uint8Array | null) => {
    worker.terminate();
    announce(null); // no-op when the length came first
    deliver(result);
  };
  worker.onmessage = ({ data }: MessageEvent<SnapshotReply>) => {
    if (data && 'length' in data) announce(data.length);
    else finish(data ? new Uint8Array(data.file) : null);
  };
  worker.onerror = () => finish(null);
  worker.postMessage(url);
  return { length, file };
}

/** Starts downloading Python's snapshot (in a worker); nothing runs on the main thread until startPyodide(). */
export function prefetchPyodide(): void {
  snapshotDownload ??= downloadSnapshot();
}

/**
 * Starts Python: resumed from the snapshot when the build has one for these sources, otherwise
 * from scratch (some 4 s longer on a first visit here: CPython's own start-up, run by Wasm code
 * the browser has not optimised yet).
 */
export function startPyodide(): Promise<{ pyodide: PyodideLike; start: PythonStart }> {
  prefetchPyodide();
  pyodideBoot ??= (async () => {
    const mod = (await import(/* @vite-ignore */ pyodideBase() + 'pyodide.mjs')) as PyodideModule;
    const options = {
      indexURL: pyodideBase(),
      // Nothing else is ever fetched: the package is standard library only.
      packages: [],
      checkAPIVersion: true,
    };
    if (!coldStartAsked()) {
      try {
        // The same module loadPyodide would import; not awaited, so that it loads meanwhile.
        const asm = import(/* @vite-ignore */ pyodideBase() + 'pyodide.asm.mjs') as Promise<{ default: (s: object) => Promise<unknown> }>;
        const createModule = async (settings: object) => (await asm).default(settings);
        return { pyodide: await resumeFromSnapshot(mod, createModule, snapshotDownload!, options, browserLang()), start: 'snapshot' as const };
      } catch (e) {
        console.warn('Starting Python from scratch:', (e as Error).message ?? e);
      }
    }
    return { pyodide: await mod.loadPyodide(options), start: 'cold' as const };
  })();
  return pyodideBoot;
}

/** LANG as Emscripten sets it for a fresh start in this browser (a resume takes it again). */
function browserLang(): string {
  return (navigator.languages?.[0] || 'C').replace('-', '_') + '.UTF-8';
}

export async function loadPython(
  pool: Promise<EnginePool>,
  page: object,
  onOutput: (text: string, stream: 'out' | 'err') => void,
  onStatus: (s: string) => void,
): Promise<PythonRuntime> {
  onStatus('loading Python (Pyodide)…');
  const { pyodide, start } = await startPyodide();
  pyodide.setStdout({ batched: (s) => onOutput(s + '\n', 'out') });
  pyodide.setStderr({ batched: (s) => onOutput(s + '\n', 'err') });

  // Ctrl+C in the console and the Stop button raise KeyboardInterrupt in running Python code.
  // Two ints: [0] Pyodide's interrupt buffer, [1] free for the page's watchdog (web/src/watchdog.ts),
  // which writes both from another thread while Python holds this one.
  const flags = new Int32Array(typeof SharedArrayBuffer !== 'undefined' ? new SharedArrayBuffer(8) : new ArrayBuffer(8));
  const interruptBuffer = flags.subarray(0, 1);
  pyodide.setInterruptBuffer(interruptBuffer);

  onStatus('loading the pelican package…');
  for (const [path, text] of PYTHON_FILES) {
    pyodide.FS.mkdirTree(`${HOME}/${path.slice(0, path.lastIndexOf('/') + 1)}`);
    pyodide.FS.writeFile(`${HOME}/${path}`, text);
  }
  pyodide.FS.writeFile(`${HOME}/pelican_app.py`, bridgeSource);

  // The contract with py/pelican (py/pelican/_host.py): createEngine() gives Python an engine of its
  // own (a new worker it may terminate); the pool is shared with the page's searches.
  const enginePool = await pool;
  const client = await loadClientModule();
  // Python validates scenes with the engine's own table; one pool worker hands it over.
  const tableEngine = await enginePool.acquire();
  const shapeModel = JSON.stringify(await tableEngine.shapeModel());
  enginePool.release(tableEngine);
  pyodide.registerJsModule('pelican_host', {
    shapeModel,
    createEngine: () => (client.createEngine ? client.createEngine() : enginePool.acquire()),
    createEnginePool: () => enginePool,
    pool: enginePool,
    poolSize: enginePool.size,
  });
  pyodide.registerJsModule('pelican_page', page);

  const ns = pyodide.runPython('dict()') as { get(k: string): unknown; destroy?(): void };
  await pyodide.runPythonAsync(
    // After '' (the working directory): where the snapshot has it too.
    `import sys\nif '${HOME}' not in sys.path: sys.path.insert(1, '${HOME}')\n` +
      `import pelican_app\nfrom pelican_app import app\npelican_app.CONSOLE_NS = globals()\n` +
      `try:\n    import pelican\nexcept ImportError as e:\n    pelican = None\n    pelican_app.IMPORT_ERROR = repr(e)\n`,
    { globals: ns },
  );
  const version = (await pyodide.runPythonAsync(
    `getattr(pelican, '__version__', 'unknown') if pelican else None`,
    { globals: ns },
  )) as string | null;

  const codeop = pyodide.runPython(
    `import codeop\ndef _complete(src):\n    try:\n        return codeop.compile_command(src, '<console>', 'exec') is not None\n    except SyntaxError:\n        return True\n_complete`,
    { globals: ns },
  ) as (s: string) => boolean;

  return {
    pyodide,
    start,
    pelicanVersion: version,
    bridge: pyodide.pyimport('pelican_app') as PythonRuntime['bridge'],
    isComplete(code: string) {
      // A trailing blank line always ends a block, as in the standard REPL.
      if (code.endsWith('\n')) return true;
      return codeop(code);
    },
    flags,
    interrupt() {
      // Code that awaits is cancelled at its await (the page can only get here while Python yields);
      // code that never yields is the watchdog's (web/src/watchdog.ts), through the interrupt buffer.
      (pyodide.pyimport('pelican_app') as { interrupt_console(): boolean }).interrupt_console();
    },
    async run(code: string) {
      interruptBuffer[0] = 0;
      try {
        // Through pelican_app so that an interrupt ends this call instead of escaping into the event loop.
        const result = await (pyodide.pyimport('pelican_app') as { console_eval(c: string): Promise<unknown> }).console_eval(code);
        return toJs(result);
      } catch (e) {
        throw normalisePythonError(e);
      }
    },
  };
}

function toJs(v: unknown): unknown {
  if (v && typeof v === 'object' && 'toJs' in v && typeof (v as { toJs: unknown }).toJs === 'function') {
    const px = v as { toJs(o: object): unknown; toString(): string; destroy(): void };
    try {
      const out = px.toJs({ dict_converter: Object.fromEntries, create_pyproxies: false });
      return out;
    } catch {
      return px.toString();
    } finally {
      px.destroy();
    }
  }
  return v;
}

/** Keeps the Python exception's class and traceback text; other throws become plain Errors. */
export function normalisePythonError(e: unknown): Error {
  if (e instanceof Error) {
    if (e.constructor?.name === 'PythonError' || e.name === 'PythonError') {
      const pe = e as Error & { type?: string };
      return new PythonError(explainMissingModule(e.message), pe.type ?? 'Exception');
    }
    return e;
  }
  return new Error(String(e));
}
