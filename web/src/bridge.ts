// The page as Python and the devtools reach it. `pageModule` is the `pelican_page` JS module that
// web/src/pelican_app.py (the console's `app`) calls; `runPython` is devtools' `pelican.py`.
// Both are thin: every change goes through the actions, as a button's would.
import { within } from './deferred';
import { sceneOnTarget } from './file-actions';
import { logLine } from './messages';
import { runOptimize } from './optimize-run';
import type { Page } from './page';
import type { Settings } from './page-state';
import { runGreedy } from './python-runs';
import { stop } from './runs';
import { validateScene } from './scene';
import { setScene } from './scene-actions';
import { setTargetPixels } from './target-actions';

/** How long pelican.py waits for Python to load unless told otherwise. */
export const PY_WAIT_MS = 120_000;

function refuseDuringRun(page: Page, already = false): void {
  const { running } = page.store.state;
  if (!running) return;
  throw new Error(
    already ? `a ${running} run is already in progress` : `a ${running} run is in progress; stop it first (app.stop())`,
  );
}

/** The `pelican_page` module: what pelican_app.py may ask of the page. */
export function createPageModule(page: Page) {
  const { store } = page;
  return {
    getScene: () => JSON.stringify(store.state.scene),
    setScene: (json: string, label: string) => {
      refuseDuringRun(page);
      const t = store.state.target!;
      const scene = sceneOnTarget(
        page,
        validateScene(JSON.parse(json)),
        (s) => `scene is ${s.width}x${s.height} but the target is ${t.width}x${t.height}; the aspect must match`,
      );
      setScene(page, scene, { label: label || 'python' });
    },
    getTarget: () => {
      const t = store.state.target!;
      return { width: t.width, height: t.height, channels: t.channels, pixels: t.pixels };
    },
    setTarget: (json: string, width: number, height: number, label: string, channels = 1) => {
      refuseDuringRun(page);
      const px = Float32Array.from(JSON.parse(json) as number[]);
      setTargetPixels(page, px, width, height, label || 'python', channels === 3 ? 3 : 1);
    },
    run: async (kind: string, json: string) => {
      refuseDuringRun(page, true);
      const a = JSON.parse(json) as Record<string, number | string>;
      if (kind === 'optimize') {
        const out = await runOptimize(page, Number(a.steps ?? store.state.settings.steps));
        return JSON.stringify({
          best_loss: out.bestLoss,
          steps_completed: out.stepsCompleted,
          cancelled: out.cancelled,
        });
      }
      if (kind === 'greedy') {
        store.update((s) => {
          if (a.maxShapes) s.settings.maxShapes = Number(a.maxShapes);
          if (a.proposal) s.settings.proposal = a.proposal as Settings['proposal'];
          if (a.candidates) s.settings.candidates = Number(a.candidates);
        }, 'settings');
        await runGreedy(page);
        return JSON.stringify({ shapes: store.state.scene!.shapes.length, loss: store.state.breakdown?.total ?? null });
      }
      throw new Error(`unknown page action ${kind}`);
    },
    stop: () => stop(page),
    log: (text: string) => logLine(store, 'info', text),
  };
}

/** Runs Python for devtools; called before Python has loaded, it waits (up to `timeout` ms) for it. */
export async function runPython(page: Page, code: string, options?: { timeout?: number }): Promise<unknown> {
  const ms = options?.timeout ?? PY_WAIT_MS;
  const door = page.python;
  const runtime =
    door.runtime ??
    (await within(
      door.loaded,
      ms,
      () => `pelican.py: Python did not finish loading within ${ms / 1000} s (status: ${page.store.state.status.text})`,
    ));
  return runtime.run(code);
}
