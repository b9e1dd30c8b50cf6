// Changing the target: a new picture (picked, dropped, pasted, the built-in one, or from Python),
// its working resolution and colour, and undoing a new picture.
import { artSource, decodeImageFile, ImageInputError, toTarget } from './art';
import { meanColor, planesToImageData, toHex } from './color';
import { matteRgb, sourceChannels } from './color-controls';
import { logLine, notice, showError } from './messages';
import type { Page } from './page';
import { initialScene, toGrayScene, type Scene } from './scene';
import { refreshRender, setScene } from './scene-actions';

const BUILT_IN = 'built-in pelican';
/** New targets that can be undone, oldest first. */
const UNDO_DEPTH = 5;
/** The long side a picture is kept at: enough for any working resolution. */
const SOURCE_MAX = 512;

/** Keeps what is on the page before a new target replaces it (the reset builds new arrays, so these stay intact). */
export function rememberForUndo(page: Page): void {
  const s = page.store.state;
  if (!s.source || !s.target || !s.scene) return;
  const { source, target, scene } = s;
  page.store.update((st) => {
    st.targetUndo.push({
      label: target.label,
      res: st.settings.res,
      source,
      target,
      scene,
      stages: st.stages,
      current: st.current,
      chartX: st.chartX,
      chartTotal: st.chartTotal,
      chartMse: st.chartMse,
      stepBase: st.stepBase,
      frames: st.frames,
      resume: st.resume,
    });
    if (st.targetUndo.length > UNDO_DEPTH) st.targetUndo.shift();
  });
}

export function offerUndo(page: Page, what: string): void {
  notice(page.store, `${what}. The previous target, scene and timeline are kept:`, {
    label: 'Undo (Ctrl+Z)',
    run: () => undoTarget(page),
  });
}

export function undoTarget(page: Page): void {
  const { store } = page;
  if (store.state.running) {
    showError(store, 'Stop the run before undoing the new image.');
    return;
  }
  const u = store.state.targetUndo.at(-1);
  if (!u) return;
  store.update(
    (s) => {
      s.targetUndo.pop();
      Object.assign(s, {
        source: u.source,
        target: u.target,
        scene: u.scene,
        stages: u.stages,
        current: u.current,
        chartX: u.chartX,
        chartTotal: u.chartTotal,
        chartMse: u.chartMse,
        stepBase: u.stepBase,
        frames: u.frames,
        resume: u.resume,
      });
      s.settings.res = u.res;
      s.selected = -1;
      s.targetVersion++;
      s.error = null;
    },
    'settings',
    'target',
    'chart',
    'error',
    'scene',
    'timeline',
    'buttons',
    'save',
  );
  void refreshRender(page);
  notice(store, `Back to ${u.label}, with its scene and timeline.`);
}

/** The target from the source at the working resolution, in colour or gray, over the matte. */
export function sourceToTarget(page: Page): void {
  page.store.update(
    (s) => {
      const src = s.source!;
      s.target = toTarget(
        src.canvas,
        src.canvas.width,
        src.canvas.height,
        s.settings.res,
        src.label,
        sourceChannels(s.settings, src.label),
        matteRgb(s.settings),
      );
      s.targetVersion++;
    },
    'target',
    'color',
  );
}

/** On a colour target a white canvas starts at the target's mean colour (then it is fitted). */
export function colorStart(page: Page, scene: Scene): Scene {
  const t = page.store.state.target!;
  if (t.channels !== 3 || (scene.background ?? '#ffffff') !== '#ffffff') return scene;
  return { ...scene, version: 2, background: toHex(meanColor(t.pixels, t.width, t.height)) };
}

/** Colour ↔ gray or a new matte: the target is rebuilt; to gray, the scene turns gray too. */
export function colorChanged(page: Page, what: 'mode' | 'matte'): void {
  const { state } = page.store;
  if (state.running || !state.source) return;
  sourceToTarget(page);
  page.store.update(() => undefined, 'save');
  if (!state.scene) return;
  if (what === 'mode' && state.target!.channels === 1) setScene(page, toGrayScene(state.scene), { label: 'gray' });
  else if (what === 'mode') setScene(page, colorStart(page, state.scene), { label: 'colour' });
  else void refreshRender(page);
}

export async function setSourceFromImage(
  page: Page,
  img: CanvasImageSource,
  w: number,
  h: number,
  label: string,
  blob: Blob | null,
): Promise<void> {
  const k = Math.min(1, SOURCE_MAX / Math.max(w, h));
  const canvas = new OffscreenCanvas(Math.max(1, Math.round(w * k)), Math.max(1, Math.round(h * k)));
  // Transparency is kept: the target composites it over the matte colour the user picks.
  canvas.getContext('2d')!.drawImage(img, 0, 0, canvas.width, canvas.height);
  const kept = blob ?? (label === BUILT_IN ? null : await canvas.convertToBlob({ type: 'image/png' }));
  page.store.update((s) => void (s.source = { canvas, blob: kept, label, width: w, height: h }));
  sourceToTarget(page);
}

/** A new picture: the scene restarts from the initial pelican fitted to its aspect. */
export async function loadImageFile(page: Page, file: File | Blob): Promise<void> {
  const { store } = page;
  if (store.state.running) {
    showError(store, 'Stop the run before changing the image.');
    return;
  }
  try {
    const { bitmap, width, height } = await decodeImageFile(file, store.state.settings.res);
    const label = (file as File).name ?? 'pasted image';
    rememberForUndo(page);
    await setSourceFromImage(page, bitmap, width, height, label, file);
    showError(store, null);
    resetForTarget(page, `new image: ${label}`);
    offerUndo(page, `New image: ${label}`);
  } catch (e) {
    // The current target, scene and history are untouched.
    const msg = e instanceof ImageInputError ? e.message : `Could not open that file: ${(e as Error).message}`;
    showError(store, msg);
    logLine(store, 'error', msg);
  }
}

export async function loadDefaultTarget(page: Page): Promise<void> {
  const art = await artSource();
  page.store.update(
    (s) => void (s.source = { canvas: art, blob: null, label: BUILT_IN, width: art.width, height: art.height }),
  );
  sourceToTarget(page);
}

/** The Built-in pelican button. */
export async function builtInTarget(page: Page): Promise<void> {
  if (page.store.state.running) return;
  rememberForUndo(page);
  await loadDefaultTarget(page);
  showError(page.store, null);
  resetForTarget(page, BUILT_IN);
  offerUndo(page, 'Back to the built-in pelican');
}

export function resetForTarget(page: Page, label: string): void {
  const t = page.store.state.target!;
  page.store.update((s) => {
    s.stages = [];
    s.chartX = [];
    s.chartTotal = [];
    s.chartMse = [];
    s.stepBase = 0;
    s.frames = [];
    s.resume = null;
  }, 'chart');
  setScene(page, colorStart(page, initialScene(t.width, t.height)), { label });
  page.store.update(() => undefined, 'buttons');
}

export function changeResolution(page: Page, res: number): void {
  const { state } = page.store;
  if (state.running) return;
  page.store.update((s) => void (s.settings.res = res));
  sourceToTarget(page);
  const t = state.target!;
  // Normalised coordinates do not depend on the pixel size, so the scene carries over.
  if (state.scene) setScene(page, { ...state.scene, width: t.width, height: t.height }, { label: `resolution ${res}` });
}

/** A target from planes handed over by Python (`app.set_target`). */
export function setTargetPixels(
  page: Page,
  px: Float32Array,
  width: number,
  height: number,
  label: string,
  channels: 1 | 3,
): void {
  rememberForUndo(page);
  const c = new OffscreenCanvas(width, height);
  c.getContext('2d')!.putImageData(planesToImageData(px, width, height), 0, 0);
  page.store.update((s) => {
    s.source = { canvas: c, blob: null, label, width, height };
    s.target = { width, height, channels, pixels: px, label };
    s.targetVersion++;
  }, 'target');
  void c.convertToBlob({ type: 'image/png' }).then((b) => {
    page.store.update((s) => {
      if (s.source?.canvas === c) s.source.blob = b;
    }, 'save');
  });
  resetForTarget(page, `target from ${label}`);
}
