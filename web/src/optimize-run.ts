// An optimisation of the scene on the page's own engine, streaming its progress to the store.
import { pushLoss, replaceWithHistory } from './loss-history';
import { logLine } from './messages';
import { toFrame } from './exporters';
import type { Page } from './page';
import { fromValues } from './scene';
import { captureFrame, evaluateScene, MAX_FRAMES, setScene } from './scene-actions';
import { endRun, refuseEmptyScene, reportRunError, startRun } from './run-lifecycle';

export interface OptimizeOutcome {
  cancelled: boolean;
  stepsCompleted: number;
  bestLoss: number;
}

/** GIF frames an optimise contributes, and preview/progress updates it asks for. */
const FRAMES_PER_RUN = 60;
const PREVIEWS_PER_RUN = 100;
/** How long each live frame shows in the GIF. */
const FRAME_MS = 60;

/** One optimisation of the current scene in the page's worker, streaming progress to the views. */
export async function optimizeScene(page: Page, steps: number, lr: number, label: string): Promise<OptimizeOutcome> {
  const { store } = page;
  const state = store.state;
  const scene = state.scene!;
  const started = performance.now();
  const frameEvery = Math.max(1, Math.round(steps / FRAMES_PER_RUN));
  let lastFrameStep = -frameEvery;
  const from = { points: state.chartX.length, stepBase: state.stepBase };
  const { value: result, model } = await page.engine.optimize(
    state,
    scene,
    {
      steps,
      lr,
      previewEvery: Math.max(1, Math.round(steps / PREVIEWS_PER_RUN)),
      previewSize: Math.max(...page.displaySize(scene)),
    },
    (p) => {
      pushLoss(store, p.breakdown);
      const elapsed = performance.now() - started;
      const eta = p.step > 0 ? ((p.steps - p.step) * elapsed) / p.step / 1000 : NaN;
      store.update(
        (s) => {
          s.breakdown = p.breakdown;
          s.progress = { step: `${p.step}/${p.steps}`, eta: Number.isFinite(eta) ? `${eta.toFixed(1)} s` : '–' };
          if (p.preview) {
            s.image = { pixels: p.preview.pixels, width: p.preview.width, height: p.preview.height };
            if (p.step - lastFrameStep >= frameEvery && s.frames.length < MAX_FRAMES) {
              s.frames.push(toFrame(p.preview.pixels, p.preview.width, p.preview.height, FRAME_MS));
              lastFrameStep = p.step;
            }
          }
        },
        'progress',
        'stats',
        ...(p.preview ? (['image'] as const) : []),
      );
      if (state.stopRequested) void page.engine.cancel();
    },
  );
  // Progress is throttled to the frame rate; the full per-step history replaces the live points.
  replaceWithHistory(store, from, result.history);
  const next = fromValues(scene, result.values, result.background, model);
  // The kept scene's loss, evaluated as the Loss figure is (the fit's own best is taken at its
  // annealed tau and before its last step, so it differs in the third digit).
  const loss = (await evaluateScene(page, next)).total;
  setScene(page, next, {
    label: result.cancelled ? `${label} (stopped at ${result.stepsCompleted}/${steps})` : `${label} (${steps} steps)`,
    loss,
  });
  logLine(
    store,
    result.cancelled ? 'reject' : 'info',
    `${label}: ${result.stepsCompleted}/${steps} steps, loss ${loss.toFixed(5)}${result.cancelled ? ' — stopped' : ''}`,
  );
  void captureFrame(page, 700);
  return { cancelled: result.cancelled, stepsCompleted: result.stepsCompleted, bestLoss: result.bestLoss };
}

export async function runOptimize(page: Page, steps = page.store.state.settings.steps): Promise<OptimizeOutcome> {
  if (refuseEmptyScene(page, 'Optimise')) return { cancelled: false, stepsCompleted: 0, bestLoss: NaN };
  startRun(page, 'optimize');
  try {
    const out = await optimizeScene(page, steps, page.store.state.settings.lr, 'optimise');
    page.store.update(
      (s) =>
        void (s.resume = out.cancelled
          ? { kind: 'optimize', remaining: Math.max(0, steps - out.stepsCompleted) }
          : null),
    );
    return out;
  } catch (e) {
    reportRunError(page, 'optimise', e);
    throw e;
  } finally {
    endRun(page);
  }
}
