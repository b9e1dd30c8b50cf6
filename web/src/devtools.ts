// The devtools door, `window.pelican`: `await pelican.py("app.scene['shapes'][0]")`, the page's
// state, its render and SVG. Read-only views of the store plus the bridge's Python entry.
import { runPython } from './bridge';
import type { Deferred } from './deferred';
import { engine } from './engine';
import { sceneSvg } from './file-actions';
import type { Page } from './page';
import type { Persistence } from './persist';

export function devtoolsApi(page: Page, persistence: Persistence, ready: Deferred<unknown>) {
  const { store } = page;
  return {
    /** Runs Python; called before Python has loaded, it waits (up to `timeout` ms) for it. */
    py: (code: string, options?: { timeout?: number }) => runPython(page, code, options),
    /** A promise: the page's state once the engine and Python are ready; rejected if start-up failed. */
    ready: ready.promise,
    get state() {
      const s = store.state;
      const py = page.python.runtime;
      return {
        scene: s.scene,
        stages: s.stages.map((st) => ({ label: st.label, loss: st.loss, shapes: st.scene.shapes.length })),
        current: s.current,
        log: s.log,
        running: s.running,
        resume: s.resume,
        breakdown: s.breakdown,
        steps: s.stepBase,
        frames: s.frames.length,
        lossHistory: s.chartTotal.slice(),
        target: s.target && { width: s.target.width, height: s.target.height, label: s.target.label },
        timings: s.timings,
        engineReady: s.engineReady,
        pythonReady: s.pythonReady,
        /** How Python started: 'snapshot' (resumed from the build's) or 'cold'. */
        pythonStart: py?.start ?? null,
        pelicanPackage: py?.pelicanVersion ?? null,
      };
    },
    /** Pixels of the current render as the engine draws it (for checks from devtools or tests). */
    render: async (w?: number, h?: number) => {
      const scene = store.state.scene!;
      return Array.from(await page.engine.render(store.state, scene, w ?? scene.width, h ?? scene.height));
    },
    target: () => {
      const t = store.state.target;
      return t && { width: t.width, height: t.height, channels: t.channels, pixels: Array.from(t.pixels) };
    },
    /** The SVG Export SVG writes (pelican.to_svg). */
    svg: () => sceneSvg(page, store.state.scene!),
    engine: () => engine(),
    save: () => persistence.saveNow(),
  };
}

export type DevtoolsApi = ReturnType<typeof devtoolsApi>;

export function installDevtools(api: DevtoolsApi): void {
  (window as unknown as { pelican: DevtoolsApi }).pelican = api;
}
