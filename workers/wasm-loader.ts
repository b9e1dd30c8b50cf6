// Lazy loader for the engine's Wasm module: one cached promise per worker, and the build chosen by
// feature detection (SIMD when the engine can validate a v128 instruction, baseline otherwise).
// There is no pthreads build yet: the core is single-threaded and the pool scales across cores.
import type { PelicanModuleFactory, PelicanWasmModule } from './pelican-wasm.js';
import { IS_NODE, nodeBuiltin, type NodeFs } from './runtime.js';

export type Flavour = 'simd' | 'baseline';

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

interface Artefacts {
  glue: URL;
  wasm: URL;
}

function artefacts(flavour: Flavour): Artefacts {
  if (IS_NODE) {
    // Compiled to build/workers/, next to build/wasm/. No string literal, so Vite leaves it alone.
    const dir = '../wasm/pelican-' + flavour;
    return { glue: new URL(dir + '.mjs', import.meta.url), wasm: new URL(dir + '.wasm', import.meta.url) };
  }
  // Literal URLs, so Vite sees them and ships both files in dev and in the built app.
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

let cached: { flavour: Flavour; module: Promise<PelicanWasmModule> } | undefined;

/** The module for this worker; the first call decides the flavour, later calls share it. */
export function loadWasmModule(preferred?: Flavour): Promise<PelicanWasmModule> {
  const flavour: Flavour = preferred ?? (supportsSimd() ? 'simd' : 'baseline');
  if (cached) {
    if (cached.flavour !== flavour && preferred) {
      return Promise.reject(new Error(`loadWasmModule('${flavour}'): this worker already loaded the ${cached.flavour} build`));
    }
    return cached.module;
  }
  const module = (async () => {
    const { glue, wasm } = artefacts(flavour);
    if (IS_NODE) {
      // Emscripten 3.1.6's ES6 glue reads __dirname on Node even when handed wasmBinary.
      const globals = globalThis as { __dirname?: string };
      globals.__dirname ??= decodeURIComponent(new URL('.', glue).pathname);
    }
    const [imported, wasmBinary] = await Promise.all([
      import(/* @vite-ignore */ glue.href) as Promise<{ default: PelicanModuleFactory }>,
      wasmBytes(wasm),
    ]);
    // Emscripten reports aborts on stderr before throwing; label them in mixed logs.
    return imported.default({ wasmBinary, printErr: (text) => console.warn(`[pelican-wasm ${flavour}] ${text}`) });
  })();
  cached = { flavour, module };
  return module;
}
