// Lazy loader for the engine's Wasm module: one cached promise per worker, and the build chosen by
// feature detection: the pthreads build (simd-threads) where shared memory is usable (a
// cross-origin isolated page, any Node worker thread), else SIMD when the engine can validate a
// v128 instruction, else baseline. `singleThread` keeps to the single-threaded builds.
import type { PelicanModuleFactory, PelicanModuleOptions, PelicanWasmModule } from './pelican-wasm.js';
import { IS_NODE, nodeBuiltin, type NodeFs } from './runtime.js';

export type Flavour = 'simd-threads' | 'simd' | 'baseline';

// The smallest module that uses v128 (i8x16.splat + i8x16.popcnt), as in wasm-feature-detect.
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11,
]);

export function supportsSimd(): boolean {
  try {
    return WebAssembly.validate(SIMD_PROBE);
  } catch {
    return false;
  }
}

/** Shared Wasm memory can be made here: SharedArrayBuffer, isolation (browsers), threads in the engine. */
export function supportsThreads(): boolean {
  if (typeof SharedArrayBuffer === 'undefined') return false;
  if (!IS_NODE && (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated !== true) return false;
  try {
    return (
      new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }).buffer instanceof SharedArrayBuffer &&
      supportsSimd()
    );
  } catch {
    return false;
  }
}

/** The build this worker would pick. */
export function pickFlavour(singleThread = false): Flavour {
  if (!singleThread && supportsThreads()) return 'simd-threads';
  return supportsSimd() ? 'simd' : 'baseline';
}

interface Artefacts {
  glue: URL;
  wasm: URL;
  /** The pthreads build's helper-thread script (Node: the file; browsers: a module exporting its text). */
  worker?: URL;
}

function artefacts(flavour: Flavour): Artefacts {
  if (IS_NODE) {
    // Compiled to build/workers/, next to build/wasm/. No string literal, so Vite leaves it alone.
    const dir = '../wasm/pelican-' + flavour;
    const at = (suffix: string): URL => new URL(dir + suffix, import.meta.url);
    return { glue: at('.mjs'), wasm: at('.wasm'), worker: flavour === 'simd-threads' ? at('.worker.js') : undefined };
  }
  // Literal URLs, so Vite sees them and ships every file in dev and in the built app (where they
  // are renamed, which is why the threads glue is told where its worker script went).
  if (flavour === 'simd-threads') {
    return {
      glue: new URL('../build/wasm/pelican-simd-threads.mjs', import.meta.url),
      wasm: new URL('../build/wasm/pelican-simd-threads.wasm', import.meta.url),
      worker: new URL('../build/wasm/pelican-simd-threads.worker-source.mjs', import.meta.url),
    };
  }
  return flavour === 'simd'
    ? {
        glue: new URL('../build/wasm/pelican-simd.mjs', import.meta.url),
        wasm: new URL('../build/wasm/pelican-simd.wasm', import.meta.url),
      }
    : {
        glue: new URL('../build/wasm/pelican-baseline.mjs', import.meta.url),
        wasm: new URL('../build/wasm/pelican-baseline.wasm', import.meta.url),
      };
}

async function wasmBytes(url: URL): Promise<Uint8Array | ArrayBuffer> {
  // Node 20's fetch cannot read file: URLs, which is why the glue cannot load its own binary there.
  if (IS_NODE) return nodeBuiltin<NodeFs>('node:fs').readFileSync(url);
  const response = await fetch(url);
  if (!response.ok) throw new Error(`loading ${url.href} failed: HTTP ${response.status}`);
  return response.arrayBuffer();
}

function filePath(url: URL): string {
  return decodeURIComponent(url.pathname);
}

interface NodeModuleApi {
  createRequire(from: URL): unknown;
}

/** What Emscripten 3.1.6's pthreads glue needs besides wasmBinary to start its helper threads. */
async function threadOptions(art: Artefacts): Promise<PelicanModuleOptions> {
  let helper: string;
  if (IS_NODE) {
    // The ES6 glue still calls require() on Node (fs, worker_threads, os) when built with pthreads.
    const globals = globalThis as { require?: unknown };
    globals.require ??= nodeBuiltin<NodeModuleApi>('node:module').createRequire(art.glue);
    helper = filePath(art.worker!);
  } else {
    // A classic-worker script started from a Blob (the CSP allows blob: workers); the glue it
    // imports comes from this origin, as the CSP wants.
    const source = (await import(/* @vite-ignore */ art.worker!.href)) as { default: string };
    helper = URL.createObjectURL(new Blob([source.default], { type: 'text/javascript' }));
  }
  return {
    // Helpers are `new Worker(locateFile('….worker.js'))`; they import the glue from mainScriptUrlOrBlob.
    locateFile: (path, prefix) => (path.endsWith('.worker.js') ? helper : prefix + path),
    mainScriptUrlOrBlob: art.glue.href,
  };
}

let cached: { flavour: Flavour; module: Promise<PelicanWasmModule> } | undefined;

/** The module for this worker; the first call decides the flavour, later calls share it. */
export function loadWasmModule(preferred?: Flavour, singleThread = false): Promise<PelicanWasmModule> {
  const flavour: Flavour = preferred ?? pickFlavour(singleThread);
  if (cached) {
    if (cached.flavour !== flavour && preferred) {
      return Promise.reject(
        new Error(`loadWasmModule('${flavour}'): this worker already loaded the ${cached.flavour} build`),
      );
    }
    return cached.module;
  }
  if (flavour === 'simd-threads' && !supportsThreads()) {
    return Promise.reject(
      new Error("loadWasmModule('simd-threads'): shared memory is unavailable here (not cross-origin isolated?)"),
    );
  }
  const module = (async () => {
    const art = artefacts(flavour);
    if (IS_NODE) {
      // Emscripten 3.1.6's ES6 glue reads __dirname on Node even when handed wasmBinary.
      const globals = globalThis as { __dirname?: string };
      globals.__dirname ??= filePath(new URL('.', art.glue));
    }
    const [imported, wasmBinary, threads] = await Promise.all([
      import(/* @vite-ignore */ art.glue.href) as Promise<{ default: PelicanModuleFactory }>,
      wasmBytes(art.wasm),
      art.worker ? threadOptions(art) : {},
    ]);
    return imported.default({
      wasmBinary,
      // Emscripten reports aborts on stderr before throwing; label them in mixed logs.
      printErr: (text) => console.warn(`[pelican-wasm ${flavour}] ${text}`),
      ...threads,
    });
  })();
  cached = { flavour, module };
  return module;
}
