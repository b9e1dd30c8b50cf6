// The target, the render and the selected shape's outline, drawn from the store.
import { planesToImageData } from './color';
import type { PageState, PageStore } from './page-state';
import type { Scene, Shape } from './scene';
import { drawSceneSketchOn } from './sketch';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
/** The render is drawn at most this large on its long side. */
const RENDER_MAX = 512;

/** The render is drawn at the size it is shown (up to 512), so edges stay crisp when scaled up. */
export function displaySize(scene: Scene): [number, number] {
  const frame = ($('render-canvas').parentElement as HTMLElement).getBoundingClientRect();
  const want = Math.min(
    RENDER_MAX,
    Math.max(scene.width, scene.height, Math.round(Math.max(frame.width, frame.height) * (devicePixelRatio || 1))),
  );
  const k = want / Math.max(scene.width, scene.height);
  return [Math.max(1, Math.round(scene.width * k)), Math.max(1, Math.round(scene.height * k))];
}

function drawPlanes(canvas: HTMLCanvasElement, pixels: Float32Array, w: number, h: number) {
  if (canvas.width !== w || canvas.height !== h) {
    canvas.width = w;
    canvas.height = h;
  }
  canvas.getContext('2d')!.putImageData(planesToImageData(pixels, w, h), 0, 0);
}

function drawTarget(state: PageState) {
  const t = state.target;
  if (!t) return;
  drawPlanes($('target-canvas'), t.pixels, t.width, t.height);
  $('target-label').textContent = `${t.label} · ${t.width}×${t.height}`;
  for (const id of ['target-canvas', 'render-canvas']) {
    ($(id).parentElement as HTMLElement).style.aspectRatio = `${t.width} / ${t.height}`;
  }
}

/** A shape's outline as a canvas path; `m` maps normalised units to canvas pixels. */
function traceShape(ctx: CanvasRenderingContext2D, s: Shape, m: number) {
  ctx.beginPath();
  if (s.type === 'circle') ctx.arc(s.cx! * m, s.cy! * m, Math.max(0.5, s.r! * m), 0, 2 * Math.PI);
  else if (s.type === 'ellipse')
    ctx.ellipse(s.cx! * m, s.cy! * m, Math.max(0.5, s.rx! * m), Math.max(0.5, s.ry! * m), s.rotation!, 0, 2 * Math.PI);
  else {
    const p = s.points!;
    ctx.moveTo(p[0][0] * m, p[0][1] * m);
    ctx.lineTo(p[1][0] * m, p[1][1] * m);
    ctx.lineTo(p[2][0] * m, p[2][1] * m);
    ctx.closePath();
  }
}

/** Before the engine is up, the scene is drawn hard-edged on the canvas so something shows at once. */
export function drawSceneSketch(state: PageState): void {
  if (state.scene) drawSceneSketchOn($('render-canvas'), state.scene, traceShape);
}

export function drawOverlay(state: PageState): void {
  const c = $<HTMLCanvasElement>('overlay-canvas');
  const scene = state.scene;
  const rect = c.getBoundingClientRect();
  const dpr = devicePixelRatio || 1;
  c.width = Math.max(1, Math.round(rect.width * dpr));
  c.height = Math.max(1, Math.round(rect.height * dpr));
  const ctx = c.getContext('2d')!;
  ctx.clearRect(0, 0, c.width, c.height);
  if (!scene || state.selected < 0 || state.selected >= scene.shapes.length) return;
  const s = scene.shapes[state.selected];
  // The render canvas is letterboxed inside its frame by object-fit: contain.
  const S = Math.max(scene.width, scene.height);
  const fit = Math.min(c.width / scene.width, c.height / scene.height);
  const ox = (c.width - scene.width * fit) / 2;
  const oy = (c.height - scene.height * fit) / 2;
  const m = S * fit;
  ctx.save();
  ctx.translate(ox, oy);
  ctx.lineWidth = 2 * dpr;
  ctx.strokeStyle = getComputedStyle(document.documentElement).getPropertyValue('--sel').trim() || '#e8712a';
  ctx.setLineDash([6 * dpr, 4 * dpr]);
  traceShape(ctx, s, m);
  ctx.stroke();
  ctx.restore();
}

/** The canvases follow the store: the target when it changes, every new render or preview. */
export function bindCanvasView(store: PageStore): void {
  store.subscribe((aspects, state) => {
    if (aspects.has('target')) drawTarget(state);
    if (aspects.has('image') && state.image)
      drawPlanes($('render-canvas'), state.image.pixels, state.image.width, state.image.height);
  });
}

export { drawTarget };
