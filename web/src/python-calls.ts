// The page's calls into Python (web/src/pelican_app.py): waiting for Python while it loads (and
// saying so on the status line), the page actions with their hooks, the SVG codec, the console.
// What Python calls on the page is bridge.ts.
import { deferred } from './deferred';
import type { Breakdown } from './engine';
import { setStatus } from './messages';
import type { PageStore } from './page-state';
import { normalisePythonError, type PythonRuntime } from './python';
import { SceneError, type Scene } from './scene';
import type { Watchdog } from './watchdog';

/** A round record as pelican_app.py sends it. */
export interface PyRound {
  round: number;
  accepted: boolean;
  action?: string;
  shape_type?: string;
  shape_name?: string;
  loss_before?: number;
  loss_after?: number;
  num_shapes?: number;
  scene?: Scene;
  message?: string;
  rolled_back?: boolean;
  error?: boolean;
  /** Vectorize: shapes added this round, and the scene's loss. */
  added?: number;
  loss?: number;
}

export interface PyRunResult {
  scene?: Scene;
  loss?: number;
  cancelled?: boolean;
  /** Set when the run stopped on a failure (e.g. the LLM provider could not be reached). */
  error?: string;
  /** LLM: the returned (best) scene is not the last accepted round's. */
  rewound?: boolean;
  /** Greedy: why the search ended. */
  stopped?: 'cancelled' | 'budget' | 'failures';
}

export type PageActionKind = 'greedy' | 'llm' | 'vectorize';

export interface RunHooks {
  onRound(r: PyRound): void;
  onProgress(p: { step?: number; steps?: number; breakdown?: Breakdown }): void;
  shouldStop(): boolean;
  /** The key goes to Python for this one call and is not kept there. */
  apiKey?: string;
}

export class PythonDoor {
  runtime: PythonRuntime | null = null;
  /** Interrupts console and devtools Python that holds the page's thread too long. */
  watchdog: Watchdog | null = null;
  readonly #loaded = deferred<PythonRuntime>();
  /** What is waiting for Python to load, said on the status line while it loads. */
  waiting: string | null = null;

  constructor(readonly store: PageStore) {}

  get loaded(): Promise<PythonRuntime> {
    return this.#loaded.promise;
  }

  ready(runtime: PythonRuntime, watchdog: Watchdog): void {
    this.runtime = runtime;
    this.watchdog = watchdog;
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

  guarded<T>(run: () => Promise<T>): Promise<T> {
    return this.watchdog ? this.watchdog.guard(run) : run();
  }

  /** Stops console code that awaits (the page is free meanwhile), as Ctrl+C does. */
  interruptConsole(): void {
    if (this.watchdog?.busy) this.runtime?.interrupt();
  }

  async hasVectorize(): Promise<boolean> {
    return Boolean(this.runtime && (await this.runtime.bridge.has_vectorize()));
  }

  /** Runs one of pelican_app's page actions; the hooks receive each round and progress record. */
  async runPageAction(kind: PageActionKind, args: object, hooks: RunHooks): Promise<PyRunResult> {
    const py = this.runtime;
    if (!py) throw new Error('Python is still loading.');
    const out = (await py.bridge.run_page_action(kind, JSON.stringify(args), {
      round: (json: string) => hooks.onRound(JSON.parse(json) as PyRound),
      progress: (json: string) => hooks.onProgress(JSON.parse(json)),
      shouldStop: () => hooks.shouldStop(),
      apiKey: () => hooks.apiKey ?? '',
    })) as string;
    return JSON.parse(out) as PyRunResult;
  }

  /** The SVG of a scene as pelican.svg writes it, at w × h (its viewBox stays the canvas). */
  async sceneSvg(scene: Scene, w: number, h: number): Promise<string> {
    const out = JSON.parse((await (await this.get('write the SVG')).bridge.export_svg(JSON.stringify(scene), w, h)) as string);
    if (out.error) throw new SceneError(out.error);
    return out.svg as string;
  }

  /** A scene document from one of our SVGs, read by pelican.from_svg (which refuses anything else). */
  async svgSceneDoc(text: string): Promise<unknown> {
    const out = JSON.parse((await (await this.get('read the SVG')).bridge.import_svg(text)) as string);
    if (out.error) throw new SceneError(out.error);
    return out.scene;
  }

  /** The console's run: the repr of the last expression, or null. */
  async consoleRepr(code: string): Promise<string | null> {
    const py = this.runtime;
    if (!py) throw new Error('Python is still loading.');
    try {
      const r = (await this.guarded(async () => {
        try {
          return await py.bridge.console_run(code);
        } catch (e) {
          throw normalisePythonError(e);
        }
      })) as string | undefined;
      return r ?? null;
    } catch (e) {
      throw normalisePythonError(e);
    }
  }
}
