// `npm run bench:speed -- [--json FILE] [--images a,b] [--shapes 50,100,200,300] [--resolution 256]
//   [--mode color|gray] [--methods pelican,geometrize] [--variants JSON] [--host node|chromium] [--quick]`
// Time to N shapes: pelican's vectorize (in Node, the CLI's host, or with `--host chromium` in the
// built app in headless Chromium, where the issue's goal is measured) run to each budget N, beside
// geometrizejs run once to the largest N in the same process (its snapshots give every smaller
// N). Per record: wall time to N, PSNR of the SVG as headless Chromium draws it, and seconds per
// added shape over the first and the last 50 shapes (pelican: from its on_round records, which
// leave out the final polish; geometrize: from its snapshots). `--variants '{"name": {...}}'`
// runs pelican once per entry with those VectorizeOptions fields (default: one run, "pelican").
// Scoring and the geometrize runner are the quality benchmark's (py/bench/quality).
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { catalogue, fit, luma, quantised } from '../quality/images.mjs';
import { runGeometrize } from '../quality/geometrize-run.mjs';
import { createRasteriser, drawnImage, psnr } from '../quality/score.mjs';
import { pace } from './pace.mjs';
import { parseArgs } from '../args.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const targetsDir = resolve(process.env.PELICAN_TARGETS ?? join(root, '..', 'shared', 'targets'));
const log = (line) => console.log(`[bench:speed] ${line}`);
const fail = (message) => {
  console.error(`[bench:speed] ${message}`);
  process.exit(2);
};

const VALUED = [
  '--json',
  '--images',
  '--shapes',
  '--resolution',
  '--mode',
  '--methods',
  '--variants',
  '--host',
  '--runtime',
];
const { args, list } = parseArgs(VALUED, fail);
const integer = (name, text, min) => {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) fail(`--${name}: '${text}' is not an integer ≥ ${min}`);
  return n;
};

const host = args.host ?? (args.runtime === 'speed-chromium' ? 'chromium' : 'node');
if (!['node', 'chromium'].includes(host)) fail(`--host: unknown '${host}'; known: node, chromium`);
const runtime = host === 'node' ? 'speed' : 'speed-chromium';
if (args.runtime && args.runtime !== runtime)
  fail(`--runtime '${args.runtime}' is not this benchmark's ('speed', 'speed-chromium')`);
const PHOTOS = ['china', 'flower', 'grace_hopper'];
const images = catalogue(targetsDir);
const names = list('images', args.quick ? 'china' : PHOTOS.join(','));
for (const name of names) {
  const entry = images.find((e) => e.name === name);
  if (!entry) fail(`--images: unknown '${name}'; known: ${images.map((e) => e.name).join(', ')}`);
  if (entry.file && !existsSync(entry.file))
    fail(`${name}: ${entry.file} is missing (set PELICAN_TARGETS to the shared targets folder)`);
}
const budgets = [
  ...new Set(list('shapes', args.quick ? '50,100' : '50,100,200,300').map((s) => integer('shapes', s, 1))),
].sort((a, b) => a - b);
const resolution = integer('resolution', args.resolution ?? (args.quick ? '128' : '256'), 32);
const mode = args.mode ?? 'color';
if (!['color', 'gray'].includes(mode)) fail(`--mode: unknown '${mode}'; known: color, gray`);
const methods = list('methods', 'pelican,geometrize');
for (const m of methods)
  if (!['pelican', 'geometrize'].includes(m)) fail(`--methods: unknown '${m}'; known: pelican, geometrize`);
let variants = { pelican: {} };
if (args.variants) {
  try {
    variants = JSON.parse(args.variants);
  } catch (error) {
    fail(`--variants: not JSON (${error.message})`);
  }
  if (
    !variants ||
    typeof variants !== 'object' ||
    Array.isArray(variants) ||
    !Object.keys(variants).length ||
    Object.values(variants).some((v) => !v || typeof v !== 'object' || Array.isArray(v))
  ) {
    fail('--variants: expected an object of named VectorizeOptions overrides, e.g. {"pelican": {}}');
  }
}
const output = resolve(args.json ?? join(root, 'build', 'bench', 'speed.json'));

const rasteriser = await createRasteriser();
const pelican = !methods.includes('pelican')
  ? null
  : host === 'node'
    ? await (await import('../quality/pelican-run.mjs')).createPelicanRunner({ log })
    : await (await import('./chromium-run.mjs')).createChromiumRunner({ log });
const round = (v) => (v === undefined ? null : +v.toPrecision(4));
const records = [];
try {
  for (const name of names) {
    const source = await images.find((e) => e.name === name).load();
    const sized = fit(source, resolution);
    const image = quantised(mode === 'gray' ? luma(sized) : sized);
    const score = async (svg) =>
      psnr(
        drawnImage(
          await rasteriser.rasterise(svg, image.width, image.height),
          image.width,
          image.height,
          image.channels,
        ),
        image,
      );
    const add = async (method, budget, run, curve) => {
      const p = pace(curve, budget);
      const record = {
        bench: 'speed',
        runtime,
        host: method === 'geometrize' ? 'node' : host,
        image: name,
        resolution,
        mode,
        method,
        shapes_budget: budget,
        shapes: run.shapes,
        seconds: round(run.seconds),
        psnr: round(await score(run.svg)),
        ...(run.cpuSeconds !== undefined ? { cpu_seconds: round(run.cpuSeconds) } : {}),
        per_shape_first50: round(p.first),
        per_shape_last50: round(p.last),
        last_over_first: round(p.ratio),
        ...(run.rounds ? { rounds: run.rounds.length } : {}),
      };
      records.push(record);
      log(
        `${name} ${image.width}x${image.height} ${mode} N=${budget} ${method}: ${record.shapes} shapes, ${record.seconds} s (CPU ${record.cpu_seconds ?? '–'} s), ` +
          `PSNR ${record.psnr.toFixed(2)} dB, s/shape first 50 ${record.per_shape_first50}, last 50 ${record.per_shape_last50}`,
      );
    };
    if (methods.includes('geometrize')) {
      // Snapshots every 50 shapes as well, for the pace of each budget's last 50.
      const steps = [
        ...new Set([...budgets, ...Array.from({ length: Math.ceil(budgets.at(-1) / 50) }, (_, i) => 50 * (i + 1))]),
      ];
      const runs = await runGeometrize(image, steps);
      const curve = [[0, 0], ...runs.map((r) => [r.shapes, r.seconds])];
      for (const run of runs.filter((r) => budgets.includes(r.budget))) await add('geometrize', run.budget, run, curve);
    }
    if (pelican) {
      for (const [variant, options] of Object.entries(variants)) {
        for (const budget of budgets) {
          const run = await pelican.run(image, budget, options);
          const start = run.rounds[0]?.started ?? 0;
          await add(variant, budget, run, [[0, start], ...run.rounds.map((r) => [r.num_shapes, r.seconds])]);
        }
      }
    }
  }
} finally {
  await pelican?.close();
  await rasteriser.close();
}

mkdirSync(dirname(output), { recursive: true });
writeFileSync(output, JSON.stringify(records, null, 2) + '\n');
log(`${records.length} records written to ${output}`);
const methodsRun = [...new Set(records.map((r) => r.method))];
console.log(`\n### ${resolution} px, ${mode}: seconds to N / PSNR dB / s per shape, first 50 → last 50\n`);
console.log(`| image | method | ${budgets.map((n) => `N=${n}`).join(' | ')} |`);
console.log(`|---|---|${budgets.map(() => '---').join('|')}|`);
for (const name of names) {
  for (const method of methodsRun) {
    const cells = budgets.map((n) => {
      const r = records.find((x) => x.image === name && x.method === method && x.shapes_budget === n);
      return r ? `${r.seconds} s / ${r.psnr.toFixed(2)} / ${r.per_shape_first50} → ${r.per_shape_last50}` : '–';
    });
    console.log(`| ${name} | ${method} | ${cells.join(' | ')} |`);
  }
}
