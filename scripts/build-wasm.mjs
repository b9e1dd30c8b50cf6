// `npm run build:wasm`: the one build rule for the engine's Wasm artefacts. Every emcc flag is set
// here, once. Three flavours are built side by side (SIMD with threads, SIMD, baseline) so the
// worker's loader can pick by feature detection. A flavour is rebuilt only when an input or the flag set changed,
// so a second run takes well under a second.
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'build', 'wasm');
const declaration = join(root, 'workers', 'pelican-wasm.d.ts');

// -fno-math-errno / -fno-trapping-math let clang vectorise and inline libm calls; the core never
// reads errno and never relies on FP traps. -ffp-contract=off as in the native build
// (cpp/CMakeLists.txt): no a*b+c is ever fused, so no result depends on which instructions a
// flavour has (today's Wasm has no FMA; this keeps it so if relaxed SIMD is ever enabled).
const COMMON = [
  '-std=c++17',
  '-O3',
  '-DNDEBUG',
  '-fno-math-errno',
  '-fno-trapping-math',
  '-ffp-contract=off',
  `-I${join(root, 'cpp', 'include')}`,
  `-I${join(root, 'cpp', 'src')}`,
  '--bind',
  '-sMODULARIZE=1',
  '-sEXPORT_ES6=1',
  '-sEXPORT_NAME=createPelicanModule',
  '-sALLOW_MEMORY_GROWTH=1',
  '-sENVIRONMENT=web,worker,node',
  // The engine does no file I/O; inputs arrive as typed arrays.
  '-sFILESYSTEM=0',
  // Embind otherwise builds its invokers with new Function, which the app's CSP
  // (script-src 'self' 'wasm-unsafe-eval') forbids.
  '-sDYNAMIC_EXECUTION=0',
  // Without these the glue installs process-wide handlers in Node that rethrow every unhandled
  // rejection, which would turn an unrelated test failure into a crash of the worker thread.
  '-sNODEJS_CATCH_EXIT=0',
  '-sNODEJS_CATCH_REJECTION=0',
];

const FLAVOURS = [
  // Every engine with SIMD also has bulk memory and saturating float→int conversion, so the SIMD
  // flavour takes those too (faster memcpy/memset and float→int casts without range checks).
  //
  // -enable-load-pre=false: clang's GVN otherwise carries the loads of a sliding window (in[x+1]
  // of one iteration is in[x] of the next) across iterations as scalar phis, and the loop
  // vectoriser then gives up on every convolution (SSIM's blurs, Sobel, their adjoints) — they
  // stayed scalar. Without it they vectorise 4-wide; the flag changes no arithmetic.
  {
    name: 'simd',
    flags: ['-msimd128', '-mbulk-memory', '-mnontrapping-fptoint', '-mllvm', '-enable-load-pre=false'],
  },
  { name: 'baseline', flags: [] },
  // The pthreads build: one evaluation split across the cores (cpp/src/parallel.cpp), shared
  // memory, picked by workers/wasm-loader.ts where SharedArrayBuffer is usable. Its helper
  // threads are Web Workers (worker_threads in Node) running pelican-simd-threads.worker.js,
  // spawned on first use (no pre-spawned pool: an engine that stays on one thread starts none).
  // Growth of shared memory makes every typed-array view stale; the worker re-takes its views
  // after each call that may grow memory, as it does for the other flavours.
  {
    name: 'simd-threads',
    flags: [
      '-msimd128',
      '-mbulk-memory',
      '-mnontrapping-fptoint',
      '-mllvm',
      '-enable-load-pre=false',
      '-pthread',
      '-Wno-pthreads-mem-growth',
    ],
  },
];

function listFiles(dir, test) {
  if (!existsSync(dir)) return [];
  const found = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...listFiles(path, test));
    else if (test(entry.name)) found.push(path);
  }
  return found.sort();
}

function newestMtime(paths) {
  return Math.max(...paths.map((path) => statSync(path).mtimeMs));
}

function emcc(args) {
  return new Promise((resolve, reject) => {
    // Debian's emscripten runs its JS optimiser with the system node, which needs Debian's acorn.
    const env = { ...process.env, NODE_PATH: '/usr/share/nodejs' };
    const child = spawn('emcc', args, { cwd: root, env, stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`emcc exited with code ${code}`))));
  });
}

async function buildFlavour(flavour, sources, inputsMtime) {
  const js = join(outDir, `pelican-${flavour.name}.mjs`);
  const wasm = join(outDir, `pelican-${flavour.name}.wasm`);
  const stamp = join(outDir, `pelican-${flavour.name}.flags`);
  const args = [...COMMON, ...flavour.flags, ...sources.map((s) => relative(root, s)), '-o', relative(root, js)];
  const signature = args.join(' ');
  const upToDate =
    existsSync(js) &&
    existsSync(wasm) &&
    existsSync(stamp) &&
    readFileSync(stamp, 'utf8') === signature &&
    Math.min(statSync(js).mtimeMs, statSync(wasm).mtimeMs) > inputsMtime;
  if (!upToDate) {
    const started = Date.now();
    await emcc(args);
    writeFileSync(stamp, signature);
    console.log(`[build:wasm] ${relative(root, js)} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
  // The pthreads helper script, also as a module exporting its text: browsers start it from a
  // Blob, because Vite's dev server rewrites a served .js (it injects a static import into this
  // classic-worker script) and a production build may inline it as a data: URL.
  const helper = join(outDir, `pelican-${flavour.name}.worker.js`);
  const helperSource = join(outDir, `pelican-${flavour.name}.worker-source.mjs`);
  if (existsSync(helper) && (!existsSync(helperSource) || statSync(helperSource).mtimeMs < statSync(helper).mtimeMs)) {
    writeFileSync(
      helperSource,
      `// Generated by scripts/build-wasm.mjs from ${relative(outDir, helper)}.\nexport default ${JSON.stringify(readFileSync(helper, 'utf8'))};\n`,
    );
  }
  // The hand-written declaration travels with the glue so the output is typed where it lies.
  const typed = join(outDir, `pelican-${flavour.name}.d.mts`);
  if (!existsSync(typed) || statSync(typed).mtimeMs < statSync(declaration).mtimeMs) copyFileSync(declaration, typed);
  return upToDate;
}

async function main() {
  const sources = [
    ...listFiles(join(root, 'cpp', 'src'), (name) => name.endsWith('.cpp')),
    join(root, 'cpp', 'bindings', 'embind.cpp'),
  ];
  const headers = [
    ...listFiles(join(root, 'cpp', 'include'), (name) => /\.(h|hpp|inl)$/.test(name)),
    ...listFiles(join(root, 'cpp', 'src'), (name) => /\.(h|hpp|inl)$/.test(name)),
  ];
  const missing = sources.filter((path) => !existsSync(path));
  if (missing.length > 0 || sources.length < 2) {
    throw new Error(`missing sources: ${missing.map((p) => relative(root, p)).join(', ') || 'cpp/src/*.cpp'}`);
  }
  mkdirSync(outDir, { recursive: true });
  // The pthreads build's helper script (pelican-simd-threads.worker.js) is CommonJS; the project's
  // "type": "module" would make Node load it as ESM and fail on require().
  const scope = join(outDir, 'package.json');
  if (!existsSync(scope)) writeFileSync(scope, '{ "type": "commonjs" }\n');
  const inputsMtime = newestMtime([...sources, ...headers, fileURLToPath(import.meta.url)]);
  // Every flavour at once: emcc's own steps are mostly serial, so three fit two shared cores.
  const results = await Promise.all(FLAVOURS.map((flavour) => buildFlavour(flavour, sources, inputsMtime)));
  if (results.every(Boolean)) console.log('[build:wasm] up to date');
}

main().catch((error) => {
  console.error(`[build:wasm] ${error.message}`);
  process.exit(1);
});
