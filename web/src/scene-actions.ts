// Changing the scene: putting one on the page (and in the timeline), editing its shapes, stepping
// back to a stage, and the exact render and loss of what is shown.
import type { Breakdown } from './engine';
import { toFrame } from './exporters';
import { showError } from './messages';
import type { Page } from './page';
import type { Aspect } from './store';
import type { Scene } from './scene';

/** Stages kept in the timeline (the first, the starting point, always stays). */
const MAX_STAGES = 200;
/** Frames kept for the run's GIF. */
export const MAX_FRAMES = 400;

/** Puts a scene on the page; `stage` also records it in the timeline. */
export function setScene(page: Page, scene: Scene, stage?: { label: string; loss?: number | null }): void {
  const { store } = page;
  const aspects: Aspect[] = ['scene'];
  if (stage) aspects.push('timeline');
  // A stage reached during a run (an accepted round) is saved at once: a reload keeps it.
  aspects.push(stage && store.state.running ? 'checkpoint' : 'save');
  store.update(
    (s) => {
      s.scene = scene;
      if (s.selected >= scene.shapes.length) s.selected = scene.shapes.length - 1;
      if (stage) {
        s.stages.push({ label: stage.label, scene: structuredClone(scene), loss: stage.loss ?? null, at: s.stepBase });
        if (s.stages.length > MAX_STAGES) s.stages.splice(1, s.stages.length - MAX_STAGES);
        s.current = s.stages.length - 1;
      }
    },
    ...aspects,
  );
  void refreshRender(page);
}

export function editScene(page: Page, fn: (s: Scene) => void, label: string): boolean {
  const { state } = page.store;
  if (!state.scene || state.running) return false;
  const next = structuredClone(state.scene);
  fn(next);
  if (next.shapes.length === 0) {
    showError(page.store, 'A scene needs at least one shape.');
    return false;
  }
  showError(page.store, null);
  setScene(page, next, { label });
  return true;
}

export function gotoStage(page: Page, i: number): void {
  const { state } = page.store;
  if (state.running || i < 0 || i >= state.stages.length) return;
  page.store.update(
    (s) => {
      s.current = i;
      s.scene = structuredClone(s.stages[i].scene);
      s.resume = null;
      s.error = null;
    },
    'error',
    'timeline',
    'scene',
    'buttons',
    'save',
  );
  void refreshRender(page);
}

export function select(page: Page, i: number): void {
  const { state } = page.store;
  if (!state.scene) return;
  const n = state.scene.shapes.length;
  page.store.update((s) => void (s.selected = Math.max(-1, Math.min(n - 1, i))), 'selection');
}

export function moveSelected(page: Page, delta: number): void {
  const { state } = page.store;
  const i = state.selected;
  const j = i + delta;
  if (!state.scene || i < 0 || j < 0 || j >= state.scene.shapes.length) return;
  const name = state.scene.shapes[i].name;
  editScene(
    page,
    (s) => {
      const [sh] = s.shapes.splice(i, 1);
      s.shapes.splice(j, 0, sh);
    },
    `move ${name} ${delta > 0 ? 'forward' : 'back'}`,
  );
  page.store.update((s) => void (s.selected = j), 'scene');
}

export function deleteSelected(page: Page): void {
  const { state } = page.store;
  const i = state.selected;
  if (!state.scene || i < 0) return;
  const name = state.scene.shapes[i].name;
  editScene(page, (s) => void s.shapes.splice(i, 1), `delete ${name}`);
}

export function freezeSelected(page: Page): void {
  const { state } = page.store;
  const i = state.selected;
  if (!state.scene || i < 0) return;
  const sh = state.scene.shapes[i];
  editScene(
    page,
    (s) => {
      s.shapes[i].frozen = !s.shapes[i].frozen || undefined;
      if (!s.shapes[i].frozen) delete s.shapes[i].frozen;
    },
    `${sh.frozen ? 'unfreeze' : 'freeze'} ${sh.name}`,
  );
}

// ---------------------------------------------------------------------------------------------
// The exact render of what is shown

interface Rendering {
  busy: Promise<void> | null;
  /** A newer scene arrived while a render was running: render once more, drop the older one. */
  again: boolean;
}
const renderings = new WeakMap<Page, Rendering>();

/** Renders the current scene for the render canvas and the Loss figure; the latest request wins. */
export function refreshRender(page: Page): Promise<void> {
  let r = renderings.get(page);
  if (!r) renderings.set(page, (r = { busy: null, again: false }));
  const rendering = r;
  if (rendering.busy) {
    rendering.again = true;
    return rendering.busy;
  }
  rendering.busy = (async () => {
    try {
      do {
        rendering.again = false;
        await renderOnce(page, rendering);
      } while (rendering.again);
    } finally {
      rendering.busy = null;
    }
  })();
  return rendering.busy;
}

async function renderOnce(page: Page, rendering: Rendering): Promise<void> {
  const { state } = page.store;
  const { scene, target } = state;
  if (!state.engineReady || !scene || !target) return;
  try {
    const [dw, dh] = page.displaySize(scene);
    const { pixels, breakdown } = await page.engine.evaluateAndRender(state, scene, dw, dh);
    if (rendering.again) return;
    page.store.update(
      (s) => {
        if (pixels.length === dw * dh * target.channels) s.image = { pixels, width: dw, height: dh };
        s.breakdown = breakdown;
      },
      'image',
      'stats',
    );
  } catch (err) {
    showError(page.store, `Render failed: ${(err as Error).message}`);
  }
}

/** The loss of a scene as the Loss figure shows it (the same evaluation as refreshRender). */
export async function evaluateScene(page: Page, scene: Scene): Promise<Breakdown> {
  const b = (await page.engine.evaluate(page.store.state, scene)).breakdown;
  // Called for the scene a run is about to put on the page: the figure shows it from now on.
  page.store.update((s) => void (s.breakdown = b), 'stats');
  return b;
}

/** A frame of the run's GIF from the scene on the page, shown for `delay` ms. */
export async function captureFrame(page: Page, delay: number): Promise<void> {
  const { state } = page.store;
  if (!state.scene || !state.engineReady) return;
  const scene = state.scene;
  const px = await page.engine.render(state, scene, scene.width, scene.height);
  if (state.frames.length < MAX_FRAMES)
    page.store.update((s) => void s.frames.push(toFrame(px, scene.width, scene.height, delay)));
}
