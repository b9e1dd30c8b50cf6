// Pyodide on the page: loaded from the app's own origin (vite.config.ts serves/copies the npm
// package at ./pyodide/), the py/pelican sources written into its file system, the engine pool
// registered as the `pelican_host` JS module (its contract: py/pelican/_host.py), then `import pelican`.
// The page's own hooks are a second module, `pelican_page`, used only by web/src/pelican_app.py.

import { loadClientModule, type EnginePool } from './engine';
import bridgeSource from './pelican_app.py?raw';

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
  pelicanVersion: string | null;
  /** The page's bridge module (web/src/pelican_app.py). */
  bridge: Record<string, (...a: unknown[]) => Promise<unknown>>;
}

let pyodideBoot: Promise<PyodideLike> | undefined;

/** Starts fetching and compiling Pyodide at once; everything else about Python waits for it. */
export function startPyodide(): Promise<PyodideLike> {
  pyodideBoot ??= (async () => {
    const base = new URL('pyodide/', document.baseURI).href;
    const mod = (await import(/* @vite-ignore */ base + 'pyodide.mjs')) as {
      loadPyodide(o: object): Promise<PyodideLike>;
    };
    return mod.loadPyodide({
      indexURL: base,
      // Nothing else is ever fetched: the package is standard library only.
      packages: [],
      checkAPIVersion: true,
    });
  })();
  return pyodideBoot;
}

export async function loadPython(
  pool: Promise<EnginePool>,
  page: object,
  onOutput: (text: string, stream: 'out' | 'err') => void,
  onStatus: (s: string) => void,
): Promise<PythonRuntime> {
  onStatus('loading Python (Pyodide)…');
  const pyodide = await startPyodide();
  pyodide.setStdout({ batched: (s) => onOutput(s + '\n', 'out') });
  pyodide.setStderr({ batched: (s) => onOutput(s + '\n', 'err') });

  // Ctrl+C in the console and the Stop button raise KeyboardInterrupt in running Python code.
  const interruptBuffer = new Int32Array(
    typeof SharedArrayBuffer !== 'undefined' ? new SharedArrayBuffer(4) : new ArrayBuffer(4),
  );
  pyodide.setInterruptBuffer(interruptBuffer);

  onStatus('loading the pelican package…');
  for (const [path, text] of Object.entries(pelicanSources)) {
    const rel = path.slice(path.indexOf('/py/') + 4); // pelican/...
    const dir = rel.slice(0, rel.lastIndexOf('/'));
    pyodide.FS.mkdirTree('/home/pyodide/' + dir);
    pyodide.FS.writeFile('/home/pyodide/' + rel, text);
  }
  pyodide.FS.writeFile('/home/pyodide/pelican_app.py', bridgeSource);

  // The contract with py/pelican (py/pelican/_host.py): createEngine() gives Python an engine of its
  // own (a new worker it may terminate); the pool is shared with the page's searches.
  const enginePool = await pool;
  const client = await loadClientModule();
  pyodide.registerJsModule('pelican_host', {
    createEngine: () => (client.createEngine ? client.createEngine() : enginePool.acquire()),
    createEnginePool: () => enginePool,
    pool: enginePool,
    poolSize: enginePool.size,
  });
  pyodide.registerJsModule('pelican_page', page);

  const ns = pyodide.runPython('dict()') as { get(k: string): unknown; destroy?(): void };
  await pyodide.runPythonAsync(
    `import sys\nif '/home/pyodide' not in sys.path: sys.path.insert(0, '/home/pyodide')\n` +
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
    pelicanVersion: version,
    bridge: pyodide.pyimport('pelican_app') as PythonRuntime['bridge'],
    isComplete(code: string) {
      // A trailing blank line always ends a block, as in the standard REPL.
      if (code.endsWith('\n')) return true;
      return codeop(code);
    },
    interrupt() {
      interruptBuffer[0] = 2; // SIGINT
    },
    async run(code: string) {
      interruptBuffer[0] = 0;
      try {
        const result = await pyodide.runPythonAsync(code, { globals: ns, filename: '<console>' });
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
      return new PythonError(e.message, pe.type ?? 'Exception');
    }
    return e;
  }
  return new Error(String(e));
}
