// Python's own thread. Pyodide runs here, never on the page's: a console loop that never yields
// leaves the page responsive, and Ctrl+C / Stop reach it through Pyodide's interrupt buffer
// (shared memory written by the page). The engines Python drives are this worker's own
// (workers/client.ts runs in a worker as in a page): `pelican_host` is the same createHost()
// Node uses (py/host/host.mjs), plus the relay that sends a page run's progress from the
// engines straight to the page. Messages and records: web/src/page-protocol.ts.
import * as client from '../../workers/client';
import { createHost } from '../../py/host/host.mjs';
import { THAW_MODULE, resumeFromSnapshot, snapshotFileName, snapshotKey } from '../../py/host/snapshot-resume.mjs';
import thawSource from '../../py/host/pelican_thaw.py?raw';
import bridgeSource from './pelican_app.py?raw';
import { downloadSnapshot, type SnapshotDownload } from './snapshot-download';
import { explainMissingModule } from './offline-modules';
import { createPageRuns } from './python-worker-runs';
import {
  PELICAN_ERRORS,
  SYNC_TOO_BIG,
  SYNC_WAITING,
  decodeAnswer,
  errorFromRecord,
  type ErrorRecord,
  type FromWorker,
  type PythonStart,
  type SyncPageCall,
  type ToWorker,
} from './page-protocol';

// Every .py under py/pelican, bundled as text.
const pelicanSources = import.meta.glob<string>('../../py/pelican/**/*.py', {
  query: '?raw',
  import: 'default',
  eager: true,
});

const HOME = '/home/pyodide';

/** [path under /home/pyodide, text] of every Python file written for Pyodide (the snapshot's key too). */
const PYTHON_FILES: Array<[string, string]> = [
  ...Object.entries(pelicanSources).map(([path, text]): [string, string] => [
    path.slice(path.indexOf('/py/') + 4),
    text,
  ]),
  [`${THAW_MODULE}.py`, thawSource],
];

interface Pyodide {
  runPythonAsync(code: string, opts?: { globals?: unknown }): Promise<unknown>;
  runPython(code: string, opts?: { globals?: unknown }): unknown;
  registerJsModule(name: string, module: object): void;
  setStdout(o: { batched: (s: string) => void }): void;
  setStderr(o: { batched: (s: string) => void }): void;
  setInterruptBuffer(b: Int32Array): void;
  FS: { mkdirTree(p: string): void; writeFile(p: string, data: string): void };
  pyimport(name: string): unknown;
}

interface PyProxy {
  toJs(o: object): unknown;
  toString(): string;
  destroy(): void;
}

interface Bridge {
  console_eval(code: string, interruptsBefore?: number, started?: () => void): Promise<unknown>;
  console_run(code: string, interruptsBefore?: number, started?: () => void): Promise<string | null>;
  interrupt_console(): boolean;
  interrupts_seen(): number;
  run_page_action(kind: string, args: string, run: object): Promise<string>;
  has_vectorize(): boolean;
  export_svg(json: string, width?: number, height?: number): string;
  import_svg(text: string): string;
}

const post = (message: FromWorker, transfer: Transferable[] = []) =>
  (self as unknown as Worker).postMessage(message, transfer);

let interruptBuffer: Int32Array;
let ready: Promise<{ bridge: Bridge; complete: (code: string) => boolean }>;

// ---------------------------------------------------------------------------------------------
// Start-up.

type Prefetch = Extract<ToWorker, { type: 'prefetch' }>;
let prefetched: { base: string; snapshot: SnapshotDownload | null } | undefined;

function prefetch(m: Prefetch) {
  const snapshot = m.cold
    ? null
    : downloadSnapshot(m.pyodideBase + snapshotFileName(snapshotKey(__PYODIDE_VERSION__, PYTHON_FILES)));
  prefetched = { base: m.pyodideBase, snapshot };
}

async function startPyodide(
  m: Extract<ToWorker, { type: 'start' }>,
): Promise<{ pyodide: Pyodide; start: PythonStart }> {
  const { base, snapshot } = prefetched!;
  const mod = (await import(/* @vite-ignore */ base + 'pyodide.mjs')) as { loadPyodide(o: object): Promise<Pyodide> };
  // Nothing else is ever fetched: the package is standard library only.
  const options = { indexURL: base, packages: [], checkAPIVersion: true };
  if (snapshot) {
    try {
      // The same module loadPyodide would import; not awaited, so that it loads meanwhile.
      const asm = import(/* @vite-ignore */ base + 'pyodide.asm.mjs') as Promise<{
        default: (s: object) => Promise<unknown>;
      }>;
      const createModule = async (settings: object) => (await asm).default(settings);
      return {
        pyodide: (await resumeFromSnapshot(mod, createModule, snapshot, options, m.lang)) as Pyodide,
        start: 'snapshot',
      };
    } catch (e) {
      console.warn('Starting Python from scratch:', (e as Error).message ?? e);
    }
  }
  return { pyodide: await mod.loadPyodide(options), start: 'cold' };
}

async function start(m: Extract<ToWorker, { type: 'start' }>) {
  // Pyodide's start and the engine pool's overlap (the snapshot is downloading since prefetch).
  const hostReady = createHost({ client, poolSize: m.poolSize, runs: pageRuns.relay });
  hostReady.catch(() => undefined);
  post({ type: 'status', text: 'loading Python (Pyodide)…' });
  const { pyodide, start } = await startPyodide(m);
  post({ type: 'started', start });
  pyodide.setStdout({ batched: (s) => post({ type: 'output', text: s + '\n', stream: 'out' }) });
  pyodide.setStderr({ batched: (s) => post({ type: 'output', text: s + '\n', stream: 'err' }) });
  interruptBuffer = new Int32Array(m.interrupt, 0, 1);
  pyodide.setInterruptBuffer(interruptBuffer);

  post({ type: 'status', text: 'loading the pelican package…' });
  for (const [path, text] of PYTHON_FILES) {
    pyodide.FS.mkdirTree(`${HOME}/${path.slice(0, path.lastIndexOf('/') + 1)}`);
    pyodide.FS.writeFile(`${HOME}/${path}`, text);
  }
  pyodide.FS.writeFile(`${HOME}/pelican_app.py`, bridgeSource);
  const host = await hostReady;
  pyodide.registerJsModule('pelican_host', host.module);
  pyodide.registerJsModule('pelican_page', pelicanPage);

  const ns = pyodide.runPython('dict()');
  await pyodide.runPythonAsync(
    // After '' (the working directory): where the snapshot has it too.
    `import sys\nif '${HOME}' not in sys.path: sys.path.insert(1, '${HOME}')\n` +
      `import pelican\nimport pelican_app\nfrom pelican_app import app\npelican_app.CONSOLE_NS = globals()\n`,
    { globals: ns },
  );
  const version = String(await pyodide.runPythonAsync(`getattr(pelican, '__version__', 'unknown')`, { globals: ns }));
  const codeop = pyodide.runPython(
    `import codeop\ndef _complete(src):\n    try:\n        return codeop.compile_command(src, '<console>', 'exec') is not None\n    except SyntaxError:\n        return True\n_complete`,
    { globals: ns },
  ) as (s: string) => boolean;
  const bridge = pyodide.pyimport('pelican_app') as Bridge;
  post({ type: 'ready', start, pelicanVersion: version, hasVectorize: Boolean(bridge.has_vectorize()) });
  return { bridge, complete: codeop };
}

const pageRuns = createPageRuns((message) => post(message));

// ---------------------------------------------------------------------------------------------
// Python → page: `pelican_page`, the page bridge as Python sees it.

const control = new Int32Array(new SharedArrayBuffer(8));
let answerBuffer = new SharedArrayBuffer(1 << 16);

/** A bridge call Python waits for: this thread sleeps until the page has written the answer. */
function pageSync(method: SyncPageCall, args: unknown[]): unknown {
  Atomics.store(control, 0, SYNC_WAITING);
  post({ type: 'page-sync', method, args, control: control.buffer as SharedArrayBuffer, data: answerBuffer });
  Atomics.wait(control, 0, SYNC_WAITING);
  if (Atomics.load(control, 0) === SYNC_TOO_BIG) {
    answerBuffer = new SharedArrayBuffer(Math.ceil(control[1] / 65536) * 65536);
    Atomics.store(control, 0, SYNC_WAITING);
    post({ type: 'page-sync-more', data: answerBuffer });
    Atomics.wait(control, 0, SYNC_WAITING);
  }
  const answer = decodeAnswer(new Uint8Array(answerBuffer, 0, control[1]));
  if ('error' in answer) throw errorFromRecord(answer.error);
  return answer.ok;
}

let pageCalls = 0;
const pageReplies = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();

function pageAsync(method: 'run', args: unknown[]): Promise<unknown> {
  const id = ++pageCalls;
  return new Promise((resolve, reject) => {
    pageReplies.set(id, { resolve, reject });
    post({ type: 'page-call', id, method, args });
  });
}

const pelicanPage = {
  errorNames: [...PELICAN_ERRORS],
  getScene: () => pageSync('getScene', []),
  setScene: (json: string, label: string) => pageSync('setScene', [json, label]),
  getTarget: () => pageSync('getTarget', []),
  setTarget: (json: string, width: number, height: number, label: string, channels?: number) =>
    pageSync('setTarget', [json, width, height, label, channels]),
  stop: () => pageSync('stop', []),
  log: (text: string) => pageSync('log', [text]),
  run: (kind: string, json: string) => pageAsync('run', [kind, json]),
};

// ---------------------------------------------------------------------------------------------
// Page → Python.

/** A Python exception as a record: pelican's own kinds by name with their message, any other as
 *  a PythonError carrying the traceback. `traceback`: keep it in the message (the console shows it). */
function pythonErrorRecord(e: unknown, traceback: boolean): ErrorRecord {
  const error = e as Error & { type?: string };
  if (error?.constructor?.name !== 'PythonError' && error?.name !== 'PythonError') {
    return { name: error?.name ?? 'Error', message: error?.message ?? String(e) };
  }
  // pelican_app.Interrupted carries a KeyboardInterrupt out of the console's task: it is one.
  const interrupted = error.type === 'Interrupted';
  const type = interrupted ? 'KeyboardInterrupt' : (error.type ?? 'Exception');
  let text = explainMissingModule(error.message);
  if (interrupted) text = text.replace(/^pelican_app\.Interrupted: KeyboardInterrupt\s*$/m, 'KeyboardInterrupt');
  if ((PELICAN_ERRORS as readonly string[]).includes(type))
    return { name: type, type, message: traceback ? text : lastMessage(text, type) };
  return { name: 'PythonError', type, message: text };
}

/** The exception's own message: the traceback from its "Type: message" line on. */
function lastMessage(text: string, type: string): string {
  const lines = text.trimEnd().split('\n');
  const head = new RegExp(`^(?:[\\w.]+\\.)?${type}(?:: (.*))?$`);
  for (let i = lines.length - 1; i >= 0; i--) {
    const m = head.exec(lines[i]);
    if (m) return [m[1] ?? '', ...lines.slice(i + 1)].join('\n').trim();
  }
  return text;
}

function toJs(v: unknown): unknown {
  if (v && typeof v === 'object' && typeof (v as PyProxy).toJs === 'function') {
    const px = v as PyProxy;
    try {
      return px.toJs({ dict_converter: Object.fromEntries, create_pyproxies: false });
    } catch {
      return px.toString();
    } finally {
      px.destroy();
    }
  }
  return v;
}

function reply(id: number, work: () => Promise<unknown>, traceback: boolean) {
  work().then(
    (ok) => {
      try {
        post({ type: 'reply', id, ok });
      } catch {
        // Not structured-cloneable (a function, a JS object Python held): its text instead.
        post({ type: 'reply', id, ok: String(ok) });
      }
    },
    (e) => post({ type: 'reply', id, error: pythonErrorRecord(e, traceback) }),
  );
}

self.onmessage = ({ data: m }: MessageEvent<ToWorker>) => {
  switch (m.type) {
    case 'prefetch':
      return prefetch(m);
    case 'start':
      ready = start(m);
      ready.catch((e) =>
        post({
          type: 'failed',
          error: { name: (e as Error).name ?? 'Error', message: (e as Error).message ?? String(e) },
        }),
      );
      return;
    case 'eval': {
      // Read on receipt, ahead of any Ctrl+C that arrives before the entry's task starts (the
      // callbacks on `ready` run in order), so that Ctrl+C stops it at its start.
      const before = ready?.then(({ bridge }) => bridge.interrupts_seen());
      return reply(
        m.id,
        async () => {
          const { bridge } = await ready;
          const seen = await before;
          const started = () => post({ type: 'eval-started', id: m.id });
          return m.repr
            ? bridge.console_run(m.code, seen, started)
            : toJs(await bridge.console_eval(m.code, seen, started));
        },
        true,
      );
    }
    case 'complete':
      return reply(
        m.id,
        async () => {
          // A trailing blank line always ends a block, as in the standard REPL.
          if (m.code.endsWith('\n')) return true;
          return (await ready).complete(m.code);
        },
        false,
      );
    case 'call':
      return reply(
        m.id,
        async () => {
          const fn = (await ready).bridge[m.fn] as (...a: unknown[]) => unknown;
          return fn(...m.args);
        },
        false,
      );
    case 'action':
      return reply(
        m.id,
        async () => {
          const { bridge } = await ready;
          const run = pageRuns.begin(m.token);
          const pyRun = {
            token: m.token,
            target: m.target,
            apiKey: m.apiKey,
            get stopped() {
              return run.stopped;
            },
            onStop(fn: { (): void; destroy?(): void }) {
              run.onStop.push(fn);
              if (run.stopped) fn();
            },
            round: (json: string) => post({ type: 'round', token: m.token, record: JSON.parse(json) }),
          };
          try {
            return JSON.parse(await bridge.run_page_action(m.kind, JSON.stringify(m.args), pyRun));
          } finally {
            pageRuns.end(m.token);
          }
        },
        false,
      );
    case 'stop':
      return pageRuns.stop(m.token);
    case 'interrupt': {
      // This thread is free, so no Python is running: whatever awaits is cancelled at its await,
      // and an entry not started yet stops at its start. The page sets the interrupt buffer only
      // when this answer does not come (Python holds the thread); one set meanwhile must not hit
      // the next Python to run.
      if (interruptBuffer) Atomics.store(interruptBuffer, 0, 0);
      post({ type: 'interrupt-seen' });
      void ready?.then(({ bridge }) => bridge.interrupt_console());
      return;
    }
    case 'page-reply': {
      const waiting = pageReplies.get(m.id);
      pageReplies.delete(m.id);
      if (m.error) waiting?.reject(errorFromRecord(m.error));
      else waiting?.resolve(m.ok);
      return;
    }
  }
};
