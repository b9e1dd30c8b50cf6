// geometrize (hill climbing, the tool people use today), by default with the settings py/bench/greedy.mjs
// uses: alpha 128, triangles, ellipses, circles and rotated ellipses over a background of the
// image's average colour. It adds one shape per step and never revisits one, so a single run to
// the largest budget yields every smaller budget's result on the way: each snapshot's time is the
// wall time taken to reach that many shapes. Its search draws on Math.random, which is seeded
// for the run so a rerun gives the same shapes (one run's PSNR otherwise varies by ±2 dB).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
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
 * geometrize's module with its search core reachable. The package exports only the runner, whose
 * step is one trial (best of n random shapes, then a hill climb); primitive's step is the best of
 * 16 such trials, so the primitive schedule needs the core itself. It is not exported: this
 * evaluates the package's own file with one line added that hands the core out.
 */
function geometrizeWithCore() {
  const file = createRequire(import.meta.url).resolve('geometrizejs/dist/src/geometrize.js');
  const source = readFileSync(file, 'utf8');
  const anchor = '})(typeof exports != "undefined"';
  const at = source.lastIndexOf(anchor);
  if (at < 0) throw new Error(`${file}: no '${anchor}' to hand out geometrize_Core (a new geometrizejs?)`);
  const patched = source.slice(0, at) + '$hx_exports["geometrize"]["Core"] = geometrize_Core;\n' + source.slice(at);
  const exports = {};
  new Function('exports', patched)(exports);
  return exports.geometrize;
}

/**
 * Search schedules. 'geometrize' is the settings py/bench/greedy.mjs uses. 'primitive' is
 * primitive's (fogleman/primitive, model.go and worker.go, `-m 0`): every step the best of 16
 * trials, each the best of 1000 random shapes of any type hill-climbed until 100 mutations in a
 * row fail, alpha 128. Primitive's filled types are geometrize's six; its polygon has no
 * counterpart here and its 1 px quadratic stroke is left out (it rarely wins a step on photographs).
 * It is geometrize's code run at primitive's effort, a stand-in for primitive, which cannot be
 * installed here.
 */
const SCHEDULES = {
  geometrize: (T) => ({
    trials: 1,
    options: {
      shapeTypes: [T.ELLIPSE, T.ROTATED_ELLIPSE, T.TRIANGLE, T.CIRCLE],
      candidateShapesPerStep: 50,
      shapeMutationsPerStep: 100,
      alpha: 128,
    },
  }),
  primitive: (T) => ({
    trials: 16,
    options: {
      shapeTypes: [T.RECTANGLE, T.ROTATED_RECTANGLE, T.TRIANGLE, T.ELLIPSE, T.ROTATED_ELLIPSE, T.CIRCLE],
      candidateShapesPerStep: 1000,
      shapeMutationsPerStep: 100,
      alpha: 128,
    },
  }),
};
export const SCHEDULE_NAMES = Object.keys(SCHEDULES);

/** One step of `trials` hill-climbed trials: the best is added to the runner's model. */
function stepBestOf(core, runner, { trials, options }) {
  if (trials === 1) return runner.step(options);
  const model = runner.model;
  let best = null;
  for (let t = 0; t < trials; t++) {
    const { shapeTypes, alpha, candidateShapesPerStep: n, shapeMutationsPerStep: age } = options;
    const state = core.bestHillClimbState(
      shapeTypes,
      alpha,
      n,
      age,
      model.target,
      model.current,
      model.buffer,
      model.score,
    );
    if (!best || state.energy(model.score) < best.energy(model.score)) best = state;
  }
  return [model.addShape(best.shape, best.alpha)];
}

/**
 * Runs to max(budgets); returns [{budget, svg, seconds, cpuSeconds, shapes, ownRasterPsnr}] per budget
 * (ascending). `ownRasterPsnr` is over RGB even for a gray image (its channels are equal).
 */
export async function runGeometrize(image, budgets, { seed = 1, schedule = 'geometrize' } = {}) {
  const geometrize = geometrizeWithCore();
  const { Bitmap } = geometrize.bitmap;
  const { ImageRunner } = geometrize.runner;
  const { SvgExporter } = geometrize.exporter;
  const plan = SCHEDULES[schedule](geometrize.shape.ShapeTypes);
  const { width, height } = image;
  const rgba = toRgba(image);
  const mean = [0, 1, 2].map((c) => {
    let s = 0;
    for (let i = c; i < rgba.length; i += 4) s += rgba[i];
    return Math.round(s / (width * height));
  });
  const background = ((mean[0] << 24) | (mean[1] << 16) | (mean[2] << 8) | 255) >>> 0;
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
        const step = stepBestOf(geometrize.Core, runner, plan);
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
