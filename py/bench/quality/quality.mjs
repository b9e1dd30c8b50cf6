// `npm run bench:quality -- [--json FILE] [--images a,b] [--shapes 20,35,100,200]
//   [--resolutions 128,256] [--modes color,gray] [--methods pelican,geometrize,primitive-schedule]
//   [--svgs DIR] [--quick]`
// pelican beside geometrize on a varied image set, in the same run: for every image, resolution
// (longer side), mode (RGB or ITU-R 601 luma) and shape budget, both methods' SVGs are drawn by
// headless Chromium and scored against the target (PSNR, SSIM); wall time and shapes reached are
// recorded. `--quick` is a smoke run: 2 images, 20 and 35 shapes, 128 px. `--svgs DIR` keeps
// every SVG scored, to look at. `primitive-schedule` (not run unless asked: about 100× geometrize's
// time) is geometrize's hill climbing at primitive's search effort, the stand-in for primitive.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { catalogue, fit, luma, quantised } from './images.mjs';
import { runGeometrize } from './geometrize-run.mjs';
import { createRasteriser, drawnImage, psnr, ssim } from './score.mjs';
import { table } from './table.mjs';
import { parseArgs } from '../args.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const targetsDir = resolve(process.env.PELICAN_TARGETS ?? join(root, '..', 'shared', 'targets'));
const log = (line) => console.log(`[bench:quality] ${line}`);
const fail = (message) => {
  console.error(`[bench:quality] ${message}`);
  process.exit(2);
};

const VALUED = ['--json', '--images', '--shapes', '--resolutions', '--modes', '--methods', '--svgs', '--runtime'];
const { args, list } = parseArgs(VALUED, fail);
const integers = (name, fallback, min) =>
  list(name, fallback).map((s) => {
    const n = Number(s);
    if (!Number.isInteger(n) || n < min) fail(`--${name}: '${s}' is not an integer ≥ ${min}`);
    return n;
  });
const oneOf = (name, values, known) => {
  for (const v of values) if (!known.includes(v)) fail(`--${name}: unknown '${v}'; known: ${known.join(', ')}`);
  return values;
};

if (args.runtime && args.runtime !== 'quality') fail(`--runtime '${args.runtime}' is not this benchmark's ('quality')`);
const images = catalogue(targetsDir);
const names = oneOf(
  'images',
  list('images', args.quick ? 'grace_hopper,logo' : images.map((e) => e.name).join(',')),
  images.map((e) => e.name),
);
for (const e of images) {
  if (names.includes(e.name) && e.file && !existsSync(e.file))
    fail(`${e.name}: ${e.file} is missing (set PELICAN_TARGETS to the shared targets folder)`);
}
const budgets = [...new Set(integers('shapes', args.quick ? '20,35' : '20,35,100,200', 1))].sort((a, b) => a - b);
// 32 px: the shorter side of the widest image must still hold SSIM's 11×11 window.
const resolutions = integers('resolutions', args.quick ? '128' : '128,256', 32);
const modes = oneOf('modes', list('modes', 'color,gray'), ['color', 'gray']);
const HILL_CLIMBERS = { geometrize: 'geometrize', 'primitive-schedule': 'primitive' };
const methods = oneOf('methods', list('methods', 'pelican,geometrize'), ['pelican', ...Object.keys(HILL_CLIMBERS)]);
const output = resolve(args.json ?? join(root, 'build', 'bench', 'quality.json'));
const svgDir = args.svgs ? resolve(args.svgs) : null;
if (svgDir) mkdirSync(svgDir, { recursive: true });

const rasteriser = await createRasteriser();
const pelican = methods.includes('pelican')
  ? await (await import('./pelican-run.mjs')).createPelicanRunner({ log })
  : null;
const records = [];
const round = (v) => +v.toPrecision(5);
try {
  const sources = new Map();
  for (const resolution of resolutions) {
    for (const mode of modes) {
      for (const name of names) {
        if (!sources.has(name)) sources.set(name, await images.find((e) => e.name === name).load());
        const sized = fit(sources.get(name), resolution);
        const target = quantised(mode === 'gray' ? luma(sized) : sized);
        const score = async (method, budget, run) => {
          const drawn = drawnImage(
            await rasteriser.rasterise(run.svg, target.width, target.height),
            target.width,
            target.height,
            target.channels,
          );
          const record = {
            bench: 'quality',
            runtime: 'quality',
            image: name,
            resolution,
            mode,
            shapes_budget: budget,
            method,
            shapes: run.shapes,
            seconds: round(run.seconds),
            psnr: round(psnr(drawn, target)),
            ssim: round(ssim(drawn, target)),
            ...(run.api ? { pelican_api: run.api } : {}),
            ...(run.ownRasterPsnr !== undefined ? { own_raster_psnr: round(run.ownRasterPsnr) } : {}),
          };
          records.push(record);
          if (svgDir) writeFileSync(join(svgDir, `${name}-${resolution}-${mode}-${budget}-${method}.svg`), run.svg);
          log(
            `${name} ${target.width}x${target.height} ${mode} N=${budget} ${method}: ${record.shapes} shapes, ` +
              `${record.seconds} s, PSNR ${record.psnr.toFixed(2)} dB, SSIM ${record.ssim.toFixed(4)}`,
          );
        };
        for (const [method, schedule] of Object.entries(HILL_CLIMBERS)) {
          if (!methods.includes(method)) continue;
          for (const run of await runGeometrize(target, budgets, { schedule })) await score(method, run.budget, run);
        }
        if (pelican) {
          for (const budget of budgets) await score('pelican', budget, await pelican.run(target, budget));
        }
      }
    }
  }
} finally {
  pelican?.close();
  await rasteriser.close();
}

mkdirSync(dirname(output), { recursive: true });
writeFileSync(output, JSON.stringify(records, null, 2) + '\n');
log(`${records.length} records written to ${output}`);
for (const resolution of resolutions) {
  for (const mode of modes) {
    console.log(`\n### ${resolution} px, ${mode}: PSNR dB, ${methods.join(' / ')}\n`);
    console.log(
      table(
        records.filter((r) => r.resolution === resolution && r.mode === mode),
        names,
        budgets,
        methods,
      ),
    );
  }
}
