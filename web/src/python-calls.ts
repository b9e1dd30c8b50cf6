// The page's calls into Python (web/src/pelican_app.py): waiting for Python while it loads (and
// saying so on the status line), the page actions with their hooks, the SVG codec, the console.
// What Python calls on the page is bridge.ts.
import { deferred } from './deferred';
import type { Breakdown } from './engine';
import { setStatus } from './messages';
import type { PageStore } from './page-state';
import { normalisePythonError, type PythonRuntime } from './python';
import type { PageRound, PageRunResult } from './page-protocol';
import type { Scene } from './scene';

/** The protocol's records, with the scene documents as the page reads them. */
export type PyRound = PageRound & { scene?: Scene };
export type PyRunResult = PageRunResult & { scene?: Scene };

export type PageActionKind = 'greedy' | 'llm' | 'vectorize';

export interface RunHooks {
  onRound(r: PyRound): void;
  onProgress(p: { step?: number; steps?: number; breakdown?: Breakdown }): void;
  /** The key goes to Python for this one call and is not kept there. */
  apiKey?: string;
}

export class PythonDoor {
  runtime: PythonRuntime | null = null;
  readonly #loaded = deferred<PythonRuntime>();
  /** What is waiting for Python to load, said on the status line while it loads. */
  waiting: string | null = null;

  constructor(readonly store: PageStore) {}

  get loaded(): Promise<PythonRuntime> {
    return this.#loaded.promise;
  }

  ready(runtime: PythonRuntime): void {
    this.runtime = runtime;
    this.#loaded.resolve(runtime);
  }

  failed(reason: unknown): void {
    this.#loaded.reject(reason);
  }

  /** Python, waiting for it (and saying so on the status line) if it is still loading. */
  async get(what: string): Promise<PythonRuntime> {
    if (this.runtime) return this.runtime;
    this.waiting = what;
    setStatus(this.store, `waiting for Python to ${what}…`);
    return this.loaded;
  }

  /** Stops console and devtools code as Ctrl+C does. */
  interruptConsole(): void {
    if (this.runtime?.busy) this.runtime.interrupt();
  }

  async hasVectorize(): Promise<boolean> {
    return Boolean(this.runtime && (await this.runtime.bridge.has_vectorize()));
  }

  /** Runs one of pelican_app's page actions; the hooks receive each round and progress record. */
  async runPageAction(kind: PageActionKind, args: object, hooks: RunHooks): Promise<PyRunResult> {
    const py = this.runtime;
    if (!py) throw new Error('Python is still loading.');
    const result = py.bridge.run_page_action(kind, args, {
      round: (r) => hooks.onRound(r as PyRound),
      progress: (p) => hooks.onProgress(p),
      apiKey: () => hooks.apiKey ?? '',
    });
    // A Stop pressed while the run waited for Python reaches it now that it has its token.
    if (this.store.state.stopRequested) py.stopRuns();
    return (await result) as PyRunResult;
  }

  /** Stop: every page run in Python ends with its best so far. */
  stopRuns(): void {
    this.runtime?.stopRuns();
  }

  /** The SVG of a scene as pelican.svg writes it, at w × h (its viewBox stays the canvas). */
  async sceneSvg(scene: Scene, w: number, h: number): Promise<string> {
    return (await this.get('write the SVG')).bridge.export_svg(JSON.stringify(scene), w, h);
  }

  /** A scene document from one of our SVGs, read by pelican.from_svg (which refuses anything else). */
  async svgSceneDoc(text: string): Promise<unknown> {
    return JSON.parse(await (await this.get('read the SVG')).bridge.import_svg(text));
  }

  /** The console's run: the repr of the last expression, or null. */
  async consoleRepr(code: string): Promise<string | null> {
    const py = this.runtime;
    if (!py) throw new Error('Python is still loading.');
    try {
      return (await py.bridge.console_run(code)) ?? null;
    } catch (e) {
      throw normalisePythonError(e);
    }
  }
}
