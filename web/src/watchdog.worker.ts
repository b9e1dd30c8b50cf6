// The watchdog's own thread. Python runs on the page's main thread, so code that never yields
// (`while True: pass`) leaves no moment for a Stop button or a key to run. This worker pings the
// page; when a guarded run goes `budgetMs` without an answer, it writes SIGINT into Pyodide's
// interrupt buffer (shared memory), which Python's eval loop checks, and the run raises
// KeyboardInterrupt.

type In =
  | { type: 'init'; buffer: SharedArrayBuffer }
  | { type: 'start'; id: number; budgetMs: number }
  | { type: 'end'; id: number }
  | { type: 'pong'; id: number };

let flag: Int32Array | null = null;
let active: { id: number; budgetMs: number; lastPong: number; timer: ReturnType<typeof setInterval> } | null = null;

function stop() {
  if (active) clearInterval(active.timer);
  active = null;
}

self.onmessage = ({ data }: MessageEvent<In>) => {
  if (data.type === 'init') flag = new Int32Array(data.buffer);
  else if (data.type === 'start') {
    stop();
    const run = { id: data.id, budgetMs: data.budgetMs, lastPong: performance.now(), timer: 0 as unknown as ReturnType<typeof setInterval> };
    run.timer = setInterval(() => {
      if (!active || active.id !== run.id) return;
      if (performance.now() - run.lastPong > run.budgetMs) {
        if (flag) {
          Atomics.store(flag, 1, run.id); // read by the page to explain the KeyboardInterrupt
          Atomics.store(flag, 0, 2); // SIGINT
        }
        self.postMessage({ type: 'fired', id: run.id });
        stop();
        return;
      }
      self.postMessage({ type: 'ping', id: run.id });
    }, 200);
    active = run;
  } else if (data.type === 'pong') {
    if (active && active.id === data.id) active.lastPong = performance.now();
  } else if (data.type === 'end') {
    if (active && active.id === data.id) stop();
  }
};
