// The Python worker's page runs: a run token per Greedy / LLM / vectorize run. Progress goes from
// the engine to the page under it; the page's Stop cancels the run's engines here, then tells
// Python (the callables its run registered).
import type * as client from '../../workers/client';
import type { FromWorker, PageProgress } from './page-protocol';

export interface Run {
  stopped: boolean;
  engines: Set<client.EngineClient>;
  /** Python callables (proxies) to call on Stop; destroyed when the run ends. */
  onStop: Array<{ (): void; destroy?(): void }>;
}

export function createPageRuns(post: (message: FromWorker) => void) {
  const active = new Map<number, Run>();
  // A Stop can overtake its run's start (the run waits for Python): the run then starts stopped.
  const stoppedEarly = new Set<number>();

  /** What createHost hands Python: optimisations under a run token, their progress relayed. */
  const relay = {
    optimize(token: number, engine: client.EngineClient, options: client.OptimizeOptions) {
      const run = active.get(token);
      if (!run) throw new Error(`no page run ${token} is going on`);
      run.engines.add(engine);
      const done = engine.optimize(options, (p) => relay.progress(token, p));
      // Queued behind its predecessor or not started yet: cancel() stops it as soon as it runs.
      if (run.stopped) engine.cancel();
      return done.finally(() => run.engines.delete(engine));
    },
    progress(token: number, p: PageProgress) {
      const progress: PageProgress = { step: p.step, steps: p.steps, breakdown: { ...p.breakdown } };
      post({ type: 'progress', token, progress });
    },
  };

  return {
    relay,
    begin(token: number): Run {
      const run: Run = { stopped: stoppedEarly.delete(token), engines: new Set(), onStop: [] };
      active.set(token, run);
      return run;
    },
    end(token: number): void {
      const run = active.get(token);
      active.delete(token);
      for (const fn of run?.onStop ?? []) fn.destroy?.();
    },
    stop(token: number): void {
      const run = active.get(token);
      if (!run) {
        stoppedEarly.add(token);
        return;
      }
      if (run.stopped) return;
      run.stopped = true;
      for (const engine of run.engines) engine.cancel();
      for (const fn of run.onStop) {
        try {
          fn();
        } catch (e) {
          console.warn('stopping a run:', e);
        }
      }
    },
  };
}
