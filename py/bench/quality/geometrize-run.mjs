// geometrize (hill climbing, the tool people use today) with the settings py/bench/greedy.mjs
// uses: alpha 128, triangles, ellipses, circles and rotated ellipses over a background of the
// image's average colour. It adds one shape per step and never revisits one, so a single run to
// the largest budget yields every smaller budget's result on the way: each snapshot's time is the
// wall time taken to reach that many shapes. Its search draws on Math.random, which is seeded
// for the run so a rerun gives the same shapes (one run's PSNR otherwise varies by ±2 dB).
import { toRgba } from './images.mjs';

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** PSNR of geometrize's own raster: what its search optimised, before the SVG export. */
function ownRasterPsnr(runner, rgba) {
  const pixels = runner.getImageData().data;
  let sum = 0;
  for (let i = 0; i < pixels.length; i++) {
    for (let c = 0; c < 3; c++) sum += (((pixels[i] >>> (24 - 8 * c)) & 255) - rgba[4 * i + c]) ** 2;
  }
  return -10 * Math.log10(Math.max(sum / (3 * pixels.length) / 255 ** 2, 1e-12));
}

/**
 * Runs to max(budgets); returns [{budget, svg, seconds, cpuSeconds, shapes, ownRasterPsnr}] per budget
 * (ascending). `ownRasterPsnr` is over RGB even for a gray image (its channels are equal).
 */
export async function runGeometrize(image, budgets, seed = 1) {
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
  const random = Math.random;
  Math.random = mulberry32(seed);
  try {
    // The clock runs only while geometrize works: the snapshots' scoring is ours, not its cost.
    // CPU time as well: on a shared machine it is what the work cost, whoever else runs.
    const cpu = () => {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1e6;
    };
    let spent = 0;
    let cpuSpent = 0;
    let started = performance.now();
    let cpuStarted = cpu();
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
      spent += performance.now() - started;
      cpuSpent += cpu() - cpuStarted;
      out.push({
        budget,
        svg,
        seconds: spent / 1000,
        cpuSeconds: cpuSpent,
        shapes: parts.length,
        ownRasterPsnr: ownRasterPsnr(runner, rgba),
      });
      started = performance.now();
      cpuStarted = cpu();
    }
    return out;
  } finally {
    Math.random = random;
  }
}
