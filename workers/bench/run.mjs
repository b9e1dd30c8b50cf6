// `npm run bench:wasm -- --json FILE [--runtime wasm-node|chromium] [--steps N] [--no-build]
//                       [--resolutions 128,256] [--shapes 35,200]`
// ms/step of the Wasm engine in Node worker threads and in headless Chromium (Debian's), with
// the configurations of the native benchmark, plus RPC overhead and pool speed-up.
// Builds what is missing first; leaves no server or browser running.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchInputs } from './scenes.mjs';
import { runSuite } from './suite.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

function option(name, fallback) {
  const index = process.argv.indexOf(name);
  return index >= 0 ? process.argv[index + 1] : fallback;
}

const output = resolve(option('--json', join(root, 'build', 'bench', 'wasm.json')));
const only = option('--runtime');
const steps = Number(option('--steps', 300));
function list(name, fallback) {
  const text = option(name);
  if (text === undefined) return fallback;
  const values = text.split(',').map(Number);
  if (values.some((v) => !Number.isInteger(v) || v < 1)) {
    console.error(`[bench:wasm] ${name} wants a comma-separated list of positive integers, got '${text}'`);
    process.exit(2);
  }
  return values;
}
// Without them, every configuration of the native benchmark (scenes.mjs).
const resolutions = list('--resolutions', undefined);
const shapeCounts = list('--shapes', undefined);
// Two workers keep the speed-up honest on the 2-core CI machine; more cores, more workers.
const poolSize = Math.max(2, Math.min(4, availableParallelism()));
const log = (line) => console.log(`[bench:wasm] ${line}`);

for (const script of process.argv.includes('--no-build') ? [] : ['scripts/build-wasm.mjs', 'workers/build.mjs']) {
  const built = spawnSync(process.execPath, [join(root, script)], { cwd: root, stdio: 'inherit' });
  if (built.status !== 0) process.exit(1);
}

// The scenes are written in the engine's own shape table, read from a worker once.
const client = await import('../../build/workers/client.js');
const tableEngine = client.createEngine();
const shapeModel = await tableEngine.shapeModel();
tableEngine.terminate();
const inputs = benchInputs(shapeModel, { resolutions, shapes: shapeCounts });
const records = [];

if (!only || only === 'wasm-node') {
  records.push(...(await runSuite(client, inputs, { runtime: 'wasm-node', steps, poolSize, log })));
}

if (!only || only === 'chromium') {
  const { chromium } = await import('playwright-core');
  const { CHROMIUM, PAGE, startWorkerServer } = await import('./server.mjs');
  const server = await startWorkerServer();
  const browser = await chromium.launch({ ...CHROMIUM, headless: true });
  try {
    const page = await browser.newPage();
    page.on('console', (message) => {
      if (message.text().startsWith('[bench]')) log(message.text().slice(8));
    });
    page.on('pageerror', (error) => log(`page error: ${error.message}`));
    await page.goto(server.url + PAGE);
    await page.waitForFunction(() => window.pelicanReady === true, null, { timeout: 60_000 });
    const isolated = await page.evaluate(() => crossOriginIsolated);
    if (!isolated) throw new Error('the benchmark page is not cross-origin isolated');
    const fromPage = await page.evaluate(
      ([inputs, options]) => window.runSuite(inputs, { ...options, log: (line) => console.log(`[bench] ${line}`) }),
      [inputs, { runtime: 'chromium', steps, poolSize }],
    );
    records.push(...fromPage);
  } finally {
    await browser.close();
    await server.close();
  }
}

mkdirSync(dirname(output), { recursive: true });
writeFileSync(output, JSON.stringify(records, null, 2) + '\n');
log(`${records.length} records written to ${output}`);
// Workers and the Vite dependency optimiser can hold handles open; the run is complete.
process.exit(0);
