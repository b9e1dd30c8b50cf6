// Run (the pipeline), Stop and Resume: the runs the buttons, the keyboard, Python and a reload's
// notice start, over the single runs in optimize-run.ts and python-runs.ts.
import { setStatus } from './messages';
import { optimizeScene, runOptimize } from './optimize-run';
import type { Page } from './page';
import type { Resume } from './page-state';
import { greedyScene, runGreedy, runLlm, runVectorize, usesVectorize } from './python-runs';
import { endRun, refuseEmptyScene, reportRunError, startRun } from './run-lifecycle';

export { runGreedy, runLlm } from './python-runs';
export { runOptimize } from './optimize-run';

/** Run: vectorize for a picture; for the gray built-in art, the original's optimise then greedy. */
export async function runPipeline(page: Page, resume?: Resume): Promise<void> {
  const { store } = page;
  const setResume = (r: Resume | null) => store.update((s) => void (s.resume = r));
  if (refuseEmptyScene(page, 'Run')) return;
  if (!resume && (await usesVectorize(page))) {
    startRun(page, 'pipeline');
    try {
      await runVectorize(page);
    } catch (e) {
      reportRunError(page, 'pipeline', e);
    } finally {
      endRun(page);
    }
    return;
  }
  startRun(page, 'pipeline');
  try {
    if (!resume || resume.phase === 'optimize') {
      store.update((s) => void (s.pipelinePhase = 'optimize'));
      const steps = resume?.remaining ?? store.state.settings.steps;
      const o = await optimizeScene(page, steps, store.state.settings.lr, 'optimise');
      if (o.cancelled) {
        setResume({ kind: 'pipeline', phase: 'optimize', remaining: Math.max(0, steps - o.stepsCompleted) });
        return;
      }
    }
    if (store.state.stopRequested) {
      setResume({ kind: 'pipeline', phase: 'greedy' });
      return;
    }
    store.update((s) => void (s.pipelinePhase = 'greedy'));
    const g = await greedyScene(page);
    setResume(g.cancelled ? { kind: 'pipeline', phase: 'greedy' } : null);
  } catch (e) {
    reportRunError(page, 'pipeline', e);
  } finally {
    endRun(page);
  }
}

export function stop(page: Page): void {
  // Console code that awaits (the page is free meanwhile) stops on Esc/Stop as on Ctrl+C.
  page.python.interruptConsole();
  const { running } = page.store.state;
  if (!running) return;
  page.store.update((s) => void (s.stopRequested = true));
  setStatus(page.store, `stopping the ${running} run — keeping the best result…`);
  void page.engine.cancel();
  page.python.stopRuns();
}

export function resume(page: Page): void {
  const r = page.store.state.resume;
  if (!r || page.store.state.running) return;
  page.store.update((s) => void (s.resume = null));
  if (r.kind === 'optimize')
    void runOptimize(page, r.remaining || page.store.state.settings.steps).catch(() => undefined);
  else if (r.kind === 'greedy') void runGreedy(page);
  else if (r.kind === 'llm') void runLlm(page);
  else void runPipeline(page, r);
}
