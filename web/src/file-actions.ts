// Files in and out: export as SVG, PNG, GIF, scene JSON and metrics; import a scene (JSON or one
// of our SVGs); a dropped or picked file goes to the right one of these or becomes a new target.
import { cleanTraceback } from './console';
import { download, encodeGif, planesToPng } from './exporters';
import { logLine, notice, showError } from './messages';
import { whenShapeModel } from './model';
import type { Page } from './page';
import { SceneError, validateScene, type Scene } from './scene';
import { setScene } from './scene-actions';
import { loadImageFile } from './target-actions';

export const PNG_MIN = 16;
export const PNG_MAX = 4096;
/** Aspect ratios closer than this are the same picture. */
const SAME_ASPECT = 0.02;

/** The original picture's size when the scene is on its target (same aspect), else the scene's own. */
export function exportSize(page: Page, scene: Scene): [number, number] {
  const src = page.store.state.source;
  if (!src || Math.abs(src.width / src.height - scene.width / scene.height) > SAME_ASPECT)
    return [scene.width, scene.height];
  return [src.width, src.height];
}

/** The SVG of a scene, as pelican.svg writes it, sized as the original picture (its viewBox stays the canvas). */
export function sceneSvg(page: Page, scene: Scene): Promise<string> {
  const [w, h] = exportSize(page, scene);
  return page.python.sceneSvg(scene, w, h);
}

export async function svgScene(page: Page, text: string): Promise<Scene> {
  return validateScene(await page.python.svgSceneDoc(text));
}

export async function exportSvg(page: Page): Promise<void> {
  try {
    download('pelican.svg', await sceneSvg(page, page.store.state.scene!), 'image/svg+xml');
  } catch (e) {
    showError(page.store, `Could not export the SVG: ${cleanTraceback((e as Error).message)}`);
  }
}

/** The PNG size asked for, within PNG_MIN–PNG_MAX (1024 when nothing usable was asked). */
export function pngSize(asked: string): { size: number; clamped: boolean } {
  const n = Number(asked);
  const size = Math.max(PNG_MIN, Math.min(PNG_MAX, Math.round(n) || 1024));
  return { size, clamped: Number.isFinite(n) && n !== 0 && size !== n };
}

export async function exportPng(page: Page, asked: string): Promise<void> {
  const scene = page.store.state.scene!;
  const { size, clamped } = pngSize(asked);
  if (clamped)
    notice(page.store, `PNG size ${asked} is outside ${PNG_MIN}–${PNG_MAX}: exported at ${size} px on the long side.`);
  const k = size / Math.max(scene.width, scene.height);
  const w = Math.max(1, Math.round(scene.width * k));
  const h = Math.max(1, Math.round(scene.height * k));
  const px = await page.engine.render(page.store.state, scene, w, h);
  download('pelican.png', await planesToPng(px, w, h));
}

export async function exportGif(page: Page): Promise<void> {
  try {
    download('pelican-run.gif', await encodeGif(page.store.state.frames));
  } catch (e) {
    showError(page.store, (e as Error).message);
  }
}

export function exportSceneJson(page: Page): void {
  download('pelican-scene.json', JSON.stringify(page.store.state.scene, null, 2), 'application/json');
}

export function metrics(page: Page) {
  const s = page.store.state;
  return {
    resolution: [s.target?.width, s.target?.height],
    shapes: s.scene?.shapes.length ?? 0,
    final_loss: s.breakdown ?? null,
    steps_completed: s.stepBase,
    loss_history: s.chartX.map((x, i) => ({ step: x, total: s.chartTotal[i], mse: s.chartMse[i] })),
    stages: s.stages.map((st) => ({ label: st.label, loss: st.loss, shapes: st.scene.shapes.length })),
    rounds: s.log,
    timings_ms: s.timings,
  };
}

export function exportMetrics(page: Page): void {
  download('metrics.json', JSON.stringify(metrics(page), null, 2), 'application/json');
}

/** A scene on the page's target from outside (a file, Python): its aspect must match the target's. */
export function sceneOnTarget(page: Page, scene: Scene, mismatch: (scene: Scene) => string): Scene {
  const t = page.store.state.target!;
  if (Math.abs(scene.width / scene.height - t.width / t.height) > SAME_ASPECT) throw new SceneError(mismatch(scene));
  return { ...scene, width: t.width, height: t.height };
}

export async function importSceneFile(page: Page, file: File): Promise<void> {
  const { store } = page;
  if (store.state.running) {
    showError(store, 'Stop the run before importing a scene.');
    return;
  }
  try {
    const text = await file.text();
    await whenShapeModel();
    let scene: Scene;
    if (/\.svg$/i.test(file.name) || text.trimStart().startsWith('<')) scene = await svgScene(page, text);
    else {
      let doc: unknown;
      try {
        doc = JSON.parse(text);
      } catch {
        throw new SceneError(`${file.name} is not valid JSON`);
      }
      scene = validateScene(doc);
    }
    const t = store.state.target!;
    const placed = sceneOnTarget(
      page,
      scene,
      (s) => `${file.name} is ${s.width}×${s.height}, the target ${t.width}×${t.height}: the aspect ratios differ`,
    );
    showError(store, null);
    setScene(page, placed, { label: `imported ${file.name}` });
  } catch (e) {
    const msg = `Could not import ${file.name}: ${(e as Error).message}`;
    showError(store, msg);
    logLine(store, 'error', msg);
  }
}

/** A dropped or picked file: our scenes are imported, anything else is a new target image. */
export async function acceptFile(page: Page, file: File): Promise<void> {
  const name = file.name.toLowerCase();
  if (name.endsWith('.json') || file.type === 'application/json') return importSceneFile(page, file);
  if (name.endsWith('.svg') || file.type === 'image/svg+xml') {
    // One of our SVGs (pelican.from_svg reads it) is a scene; any other SVG is a picture.
    const isScene = await svgScene(page, await file.text()).then(
      () => true,
      () => false,
    );
    if (isScene) return importSceneFile(page, file);
  }
  return loadImageFile(page, file);
}
