// Guards console and devtools Python against code that holds the page's thread for good: a run
// that leaves the page unresponsive for longer than the budget is interrupted from a worker
// (watchdog.worker.ts) and its KeyboardInterrupt says why. Ctrl+C covers code that does yield.

export const BUDGET_MS = 10_000;

// The last line of an interrupted run's traceback (pelican_app.Interrupted carries the interrupt).
const INTERRUPT_LINE = /^(?:pelican_app\.Interrupted: )?KeyboardInterrupt\s*$/m;

export class Watchdog {
  private worker: Worker | null = null;
  private seq = 0;
  /** True while a guarded run is going on. */
  busy = false;

  /** `flag`: [0] Pyodide's interrupt buffer, [1] the id of the run the worker interrupted. */
  constructor(private flag: Int32Array) {
    if (!(flag.buffer instanceof SharedArrayBuffer)) return; // not cross-origin isolated: no way to reach a busy thread
    this.worker = new Worker(new URL('./watchdog.worker.ts', import.meta.url), { type: 'module' });
    this.worker.postMessage({ type: 'init', buffer: flag.buffer });
    this.worker.onmessage = ({ data }: MessageEvent<{ type: string; id: number }>) => {
      if (data.type === 'ping') this.worker!.postMessage({ type: 'pong', id: data.id });
    };
  }

  async guard<T>(run: () => Promise<T>, budgetMs = BUDGET_MS): Promise<T> {
    const id = ++this.seq;
    Atomics.store(this.flag, 0, 0); // an old Ctrl+C must not hit this run
    this.busy = true;
    this.worker?.postMessage({ type: 'start', id, budgetMs });
    try {
      return await run();
    } catch (e) {
      if (e instanceof Error) {
        const fired = Atomics.load(this.flag, 1) === id;
        e.message = e.message.replace(INTERRUPT_LINE, fired ? explain(budgetMs) : 'KeyboardInterrupt');
      }
      throw e;
    } finally {
      this.busy = false;
      this.worker?.postMessage({ type: 'end', id });
    }
  }
}

function explain(budgetMs: number): string {
  return (
    `KeyboardInterrupt: interrupted after holding the page for more than ${budgetMs / 1000} s without yielding ` +
    '(Python runs on the page\'s thread, so nothing else can run meanwhile). A long loop can `await asyncio.sleep(0)` ' +
    'now and then: the page stays responsive and Ctrl+C stops it.'
  );
}
