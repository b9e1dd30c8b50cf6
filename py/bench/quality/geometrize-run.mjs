// geometrize (hill climbing, the tool people use today) with the settings py/bench/greedy.mjs
// uses: alpha 128, triangles, ellipses, circles and rotated ellipses over a background of the
// image's average colour. It adds one shape per step and never revisits one, so a single run to
// the largest budget yields every smaller budget's result on the way: each snapshot's time is the
// wall time taken to reach that many shapes.
import { toRgba } from './images.mjs';

/** Runs to max(budgets); returns [{budget, svg, seconds, shapes}] per budget (ascending). */
export async function runGeometrize(image, budgets) {
  const { Bitmap, ImageRunner, ShapeTypes, SvgExporter } = await import('geometrizejs');
  const { width, height } = image;
  const rgba = toRgba(image);
  const mean = [0, 1, 2].map((c) => {
    let s = 0;
    for (let i = c; i < rgba.length; i += 4) s += rgba[i];
    return Math.round(s / (width * height));
  });
  const background = ((mean[0] << 24) | (mean[1] << 16) | (mean[2] << 8) | 255) >>> 0;
  const options = {
    shapeTypes: [ShapeTypes.ELLIPSE, ShapeTypes.ROTATED_ELLIPSE, ShapeTypes.TRIANGLE, ShapeTypes.CIRCLE],
    candidateShapesPerStep: 50,
    shapeMutationsPerStep: 100,
    alpha: 128,
  };
  const sorted = [...budgets].sort((a, b) => a - b);
  const started = performance.now();
  const runner = new ImageRunner(Bitmap.createFromByteArray(width, height, Array.from(rgba)), background);
  const parts = [];
  const out = [];
  for (const budget of sorted) {
    while (parts.length < budget) {
      const step = runner.step(options);
      if (step.length === 0) break;
      parts.push(SvgExporter.exportShapes(step));
    }
    const svg =
      SvgExporter.getSvgPrelude() +
      SvgExporter.getSvgNodeOpen(width, height) +
      `<rect width="${width}" height="${height}" fill="rgb(${mean.join(',')})"/>\n` +
      parts.join('\n') +
      SvgExporter.getSvgNodeClose();
    out.push({ budget, svg, seconds: (performance.now() - started) / 1000, shapes: parts.length });
  }
  return out;
}
