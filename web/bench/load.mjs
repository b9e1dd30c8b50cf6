// `npm run bench:app -- [--json FILE] [--loads 5]`: how fast the built app opens in headless
// Chromium (Debian's), from navigation: the first render of the target and scene, the engine
// worker ready, Python (Pyodide + py/pelican) ready. Three cases: a first visit (a fresh browser
// context: nothing cached, every Wasm module compiled cold), a return visit (a reload in the
// same context: the HTTP cache and V8's Wasm code cache are warm), and for comparison a first
// visit that starts Python from scratch instead of resuming the build's snapshot (?python=cold).
// The targets: first render within 1 s, ready within 4 s.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const option = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const output = resolve(option('--json', join(root, 'build', 'bench', 'app.json')));
const loads = Number(option('--loads', 5));
const log = (line) => console.log(`[bench:app] ${line}`);

const { openBuiltApp } = await import('../../scripts/built-app.mjs');
const { url, browser, close } = await openBuiltApp({ port: 5178, log });
const samples = { first: [], again: [], cold: [] };
async function measure(page, kind, i) {
  await page.waitForFunction(() => document.body.dataset.ready === 'true', null, { timeout: 90_000 });
  const { timings, pythonStart } = await page.evaluate(() => window.pelican.state);
  const expected = kind === 'cold' ? 'cold' : 'snapshot';
  if (pythonStart !== expected)
    throw new Error(`${kind} visit ${i + 1}: Python started '${pythonStart}', not '${expected}'`);
  samples[kind].push(timings);
  log(
    `${kind} visit ${i + 1}: first render ${timings.firstRender} ms, engine ${timings.engineReady} ms, Python ${timings.pythonReady} ms`,
  );
}
try {
  for (let i = 0; i < loads; i++) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(url);
    await measure(page, 'first', i);
    await page.reload();
    await measure(page, 'again', i);
    await context.close();
    const fresh = await browser.newContext();
    const coldPage = await fresh.newPage();
    await coldPage.goto(url + '?python=cold');
    await measure(coldPage, 'cold', i);
    await fresh.close();
  }
} finally {
  await close();
}
const median = (kind, key) => {
  const v = samples[kind].map((s) => s[key]).sort((a, b) => a - b);
  return v[v.length >> 1];
};
const METRICS = { first: 'load_first_visit', again: 'load_return_visit', cold: 'load_first_visit_python_from_scratch' };
const records = Object.keys(METRICS).map((kind) => ({
  runtime: 'app',
  metric: METRICS[kind],
  loads,
  first_render_ms_median: median(kind, 'firstRender'),
  engine_ready_ms_median: median(kind, 'engineReady'),
  python_ready_ms_median: median(kind, 'pythonReady'),
}));
mkdirSync(dirname(output), { recursive: true });
writeFileSync(output, JSON.stringify(records, null, 2) + '\n');
for (const r of records)
  log(`${r.metric}: median first render ${r.first_render_ms_median} ms, Python ready ${r.python_ready_ms_median} ms`);
