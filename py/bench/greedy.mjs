// `npm run bench:greedy -- [--json FILE] [--where node,chromium] [--shapes 20,35]`
// Quality and wall time of the topology search on the shared engraving (128², grayscale):
// pelican's one-click pipeline (residual proposals, parallel candidates) and the original's
// schedule with random proposals, in Node and in headless Chromium, beside geometrize (hill
// climbing, the tool people use today). Every result's SVG is rasterised by Chromium and scored
// against the target, so the MSE is what a user sees, not only our own soft raster.
import { readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { drawSvg } from './quality/score.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const option = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const output = resolve(option('--json', join(root, 'build', 'bench', 'greedy.json')));
const where = option('--where', 'node,chromium').split(',');
const shapeCounts = option('--shapes', '20,35').split(',').map(Number);
const targetsDir = resolve(process.env.PELICAN_TARGETS ?? join(root, '..', 'shared', 'targets'));
const log = (line) => console.log(`[bench:greedy] ${line}`);

function readPgm(file) {
  const data = readFileSync(file);
  const header = data.subarray(0, 64).toString('latin1').split(/\s+/);
  const [width, height] = [Number(header[1]), Number(header[2])];
  const pixels = Float32Array.from(data.subarray(data.length - width * height), (v) => v / 255);
  return { width, height, pixels };
}
const target = readPgm(join(targetsDir, 'pelican-engraving-128.pgm'));

// Standard SSIM (Wang et al.: 11×11 Gaussian window, σ 1.5, K1 0.01, K2 0.03, valid region).
function ssim(a, b, w, h) {
  const g = Array.from({ length: 11 }, (_, i) => Math.exp(-((i - 5) ** 2) / (2 * 1.5 ** 2)));
  const gs = g.reduce((x, y) => x + y, 0);
  const k = g.map((v) => v / gs);
  const [c1, c2] = [0.01 ** 2, 0.03 ** 2];
  let sum = 0;
  let n = 0;
  for (let y = 0; y + 11 <= h; y++) {
    for (let x = 0; x + 11 <= w; x++) {
      let ma = 0,
        mb = 0,
        aa = 0,
        bb = 0,
        ab = 0;
      for (let j = 0; j < 11; j++) {
        for (let i = 0; i < 11; i++) {
          const wt = k[i] * k[j];
          const p = a[(y + j) * w + x + i];
          const q = b[(y + j) * w + x + i];
          ma += wt * p;
          mb += wt * q;
          aa += wt * p * p;
          bb += wt * q * q;
          ab += wt * p * q;
        }
      }
      const [va, vb, cov] = [aa - ma * ma, bb - mb * mb, ab - ma * mb];
      sum += ((2 * ma * mb + c1) * (2 * cov + c2)) / ((ma * ma + mb * mb + c1) * (va + vb + c2));
      n++;
    }
  }
  return sum / n;
}
const mse = (a, b) => a.reduce((s, v, i) => s + (v - b[i]) ** 2, 0) / a.length;

// The Python each runtime executes; returns JSON {seconds, svg, render, shapes, rounds, loss}.
const RUNS = Object.fromEntries(
  shapeCounts.flatMap((n) => [
    [`pipeline ${n}`, `GreedyOptions.pipeline(max_shapes=${n})`],
    [`original_random ${n}`, `GreedyOptions(max_shapes=${n}, proposal="random", candidates=1)`],
  ]),
);
function pythonRun(options, pixelsJson) {
  return `
import json, time
import pelican
from pelican import GreedyOptions
target = pelican.Image(${target.width}, ${target.height}, json.loads(${JSON.stringify(pixelsJson)}))
started = time.perf_counter()
result = await pelican.greedy_refine(pelican.Scene.initial(target.width, target.height), target, ${options})
seconds = time.perf_counter() - started
async with await pelican.Engine.borrow(target) as engine:
    await engine.set_scene(result.scene)
    render = await engine.render()
json.dumps({"seconds": seconds, "svg": pelican.to_svg(result.scene), "render": list(render.pixels),
            "shapes": len(result.scene), "rounds": len(result.history), "loss": result.final_loss})
`;
}
const pixelsJson = JSON.stringify(Array.from(target.pixels, (v) => Math.round(v * 255) / 255));

const results = [];

if (where.includes('node')) {
  const { loadPelican } = await import('../host/node.mjs');
  const host = await loadPelican({ stdout: () => {}, stderr: (s) => log(s) });
  try {
    for (const [name, options] of Object.entries(RUNS)) {
      const out = JSON.parse(await host.pyodide.runPythonAsync(pythonRun(options, pixelsJson)));
      log(`node ${name}: ${out.shapes} shapes, ${out.seconds.toFixed(2)} s`);
      results.push({ where: 'node', method: `pelican ${name}`, pool_size: host.pool.size, ...out });
    }
  } finally {
    host.close();
  }
}

// geometrize: hill climbing with the same shape budgets (its background rectangle is extra).
{
  const { Bitmap, ImageRunner, ShapeTypes, SvgExporter } = await import('geometrizejs');
  const rgba = new Uint8Array(target.width * target.height * 4);
  target.pixels.forEach((v, i) => rgba.fill(Math.round(v * 255), 4 * i, 4 * i + 3) && (rgba[4 * i + 3] = 255));
  // As geometrize itself starts: a background of the image's average colour, then the shapes.
  const mean = Math.round((255 * target.pixels.reduce((a, b) => a + b, 0)) / target.pixels.length);
  const background = ((mean << 24) | (mean << 16) | (mean << 8) | 255) >>> 0;
  const options = {
    shapeTypes: [ShapeTypes.ELLIPSE, ShapeTypes.ROTATED_ELLIPSE, ShapeTypes.TRIANGLE, ShapeTypes.CIRCLE],
    candidateShapesPerStep: 50,
    shapeMutationsPerStep: 100,
    alpha: 128,
  };
  for (const count of shapeCounts) {
    const started = performance.now();
    const runner = new ImageRunner(
      Bitmap.createFromByteArray(target.width, target.height, Array.from(rgba)),
      background,
    );
    const parts = [];
    for (let i = 0; i < count; i++) parts.push(SvgExporter.exportShapes(runner.step(options)));
    const svg =
      SvgExporter.getSvgPrelude() +
      SvgExporter.getSvgNodeOpen(target.width, target.height) +
      `<rect width="${target.width}" height="${target.height}" fill="rgb(${mean},${mean},${mean})"/>\n` +
      parts.join('\n') +
      SvgExporter.getSvgNodeClose();
    const seconds = (performance.now() - started) / 1000;
    log(`node geometrize ${count}: ${seconds.toFixed(2)} s`);
    results.push({ where: 'node', method: `geometrize ${count}`, seconds, svg, shapes: count });
  }
}

// Chromium: the built app, its own Python and workers; and every SVG rasterised by the browser.
{
  const { chromium } = await import('playwright-core');
  const { CHROMIUM } = await import('../../scripts/chromium.mjs');
  const { build, preview } = await import('vite');
  log('building the app');
  const configFile = join(root, 'vite.config.ts');
  await build({ configFile, logLevel: 'warn' });
  const server = await preview({
    configFile,
    logLevel: 'warn',
    preview: { host: '127.0.0.1', port: 5179, strictPort: false },
  });
  const url = server.resolvedUrls.local[0];
  const browser = await chromium.launch(CHROMIUM);
  try {
    const page = await browser.newPage();
    page.on('pageerror', (e) => log(`page error: ${e.message}`));
    await page.goto(url);
    await page.waitForFunction(() => document.body.dataset.ready === 'true', null, { timeout: 90_000 });
    if (where.includes('chromium')) {
      const poolSize = await page.evaluate(() => navigator.hardwareConcurrency);
      for (const [name, options] of Object.entries(RUNS)) {
        const out = JSON.parse(await page.evaluate((code) => window.pelican.py(code), pythonRun(options, pixelsJson)));
        log(`chromium ${name}: ${out.shapes} shapes, ${out.seconds.toFixed(2)} s`);
        results.push({ where: 'chromium', method: `pelican ${name}`, hardware_concurrency: poolSize, ...out });
      }
    }
    for (const r of results) {
      const rgb = await drawSvg(page, r.svg, target.width, target.height);
      const drawn = Array.from(
        { length: target.width * target.height },
        (_, i) => (rgb[3 * i] + rgb[3 * i + 1] + rgb[3 * i + 2]) / 3 / 255,
      );
      r.svg_mse = mse(drawn, target.pixels);
      r.svg_ssim = ssim(drawn, target.pixels, target.width, target.height);
      if (r.render) {
        r.render_mse = mse(r.render, target.pixels);
        r.render_ssim = ssim(r.render, target.pixels, target.width, target.height);
      }
      log(
        `${r.where} ${r.method}: SVG as Chromium draws it: MSE ${r.svg_mse.toFixed(5)}, SSIM ${r.svg_ssim.toFixed(4)}`,
      );
    }
  } finally {
    await browser.close();
    await new Promise((done) => server.httpServer.close(done));
  }
}

const round = (v) => (typeof v === 'number' ? +v.toPrecision(5) : v);
const records = results
  .map(({ svg, render, ...r }) => ({
    runtime: 'greedy',
    target: 'pelican-engraving-128',
    ...r,
    svg_bytes: svg.length,
  }))
  .map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, round(v)])));
mkdirSync(dirname(output), { recursive: true });
writeFileSync(output, JSON.stringify(records, null, 2) + '\n');
log(`${records.length} records written to ${output}`);
console.table(
  records.map((r) => ({
    where: r.where,
    method: r.method,
    shapes: r.shapes,
    seconds: r.seconds,
    render_mse: r.render_mse,
    render_ssim: r.render_ssim,
    svg_mse: r.svg_mse,
    svg_ssim: r.svg_ssim,
  })),
);
