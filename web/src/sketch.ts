// How a scene looks before the engine draws it, and its shapes' paint in the shape list.
import { toHex } from './color';
import { backgroundOf, paintOf, type Scene, type Shape } from './scene';

/** The scene drawn hard-edged, in its colours and opacities, over its canvas colour. */
export function drawSceneSketchOn(
  c: HTMLCanvasElement,
  scene: Scene,
  trace: (ctx: CanvasRenderingContext2D, s: Shape, m: number) => void,
): void {
  c.width = scene.width;
  c.height = scene.height;
  const ctx = c.getContext('2d')!;
  ctx.fillStyle = toHex(backgroundOf(scene));
  ctx.fillRect(0, 0, c.width, c.height);
  for (const s of scene.shapes) {
    ctx.globalAlpha = s.opacity ?? 1;
    ctx.fillStyle = toHex(paintOf(s));
    trace(ctx, s, Math.max(scene.width, scene.height));
    ctx.fill();
  }
  ctx.globalAlpha = 1;
}

/** The swatch's CSS colour: the shape's paint at its opacity. */
export function swatchCss(s: Shape): string {
  const [r, g, b] = paintOf(s).map((v) => Math.round(255 * v));
  return `rgba(${r}, ${g}, ${b}, ${s.opacity ?? 1})`;
}

/** The paint as the shape list says it: "#a0522d" or "0.35", with "· 60%" when translucent. */
export function paintLabel(s: Shape): string {
  const paint = s.color ?? (s.intensity ?? 0).toFixed(2);
  return s.opacity !== undefined && s.opacity !== 1 ? `${paint} · ${Math.round(100 * s.opacity)}%` : paint;
}
