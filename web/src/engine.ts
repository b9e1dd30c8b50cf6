// The page's door to the compute workers (workers/client.ts, owned by the worker helper).
// The page never does pixel maths itself: it only asks engines for renders and optimisation
// runs, and passes the same pool to Python as `pelican_host`.
//
// The import goes through import.meta.glob so that the page still builds (and shows a clear
// status) when the workers are not built yet, instead of failing the whole bundle.

export interface Breakdown {
  mse: number;
  edge: number;
  ssim: number;
  perimeter: number;
  degeneracy: number;
  canvas: number;
  total: number;
}

export interface OptimizeProgress {
  step: number;
  steps: number;
  breakdown: Breakdown;
  preview?: { width: number; height: number; pixels: Float32Array };
}

export interface OptimizeResult {
  raw: Float32Array;
  history: Float32Array;
  bestLoss: number;
  stepsCompleted: number;
  cancelled: boolean;
}

export interface EngineClient {
  init(width: number, height: number): Promise<void>;
  setTarget(pixels: Float32Array): Promise<void>;
  setScene(types: Int32Array, raw: Float32Array): Promise<void>;
  setFrozen(mask: Uint8Array): Promise<void>;
  evaluate(tau: number): Promise<{ breakdown: Breakdown; gradients: Float32Array }>;
  render(tau: number, width: number, height: number): Promise<Float32Array>;
  optimize(
    opts: { steps: number; lr?: number; tauStart?: number; tauEnd?: number; previewEvery?: number; previewSize?: number },
    onProgress?: (p: OptimizeProgress) => void,
  ): Promise<OptimizeResult>;
  cancel(): Promise<void> | void;
  terminate(): Promise<void> | void;
}

export interface EnginePool {
  size: number;
  acquire(): Promise<EngineClient>;
  release(c: EngineClient): void;
  terminate(): void | Promise<void>;
}

interface ClientModule {
  createEnginePool(opts?: { size?: number }): EnginePool;
  createEngine?(): EngineClient;
}

const modules = import.meta.glob<ClientModule>('../../workers/client.ts');

export class EngineUnavailable extends Error {
  override name = 'EngineUnavailable';
}

let clientModule: Promise<ClientModule> | undefined;

export function loadClientModule(): Promise<ClientModule> {
  clientModule ??= (async () => {
    const load = modules['../../workers/client.ts'];
    if (!load) throw new EngineUnavailable('workers/client.ts is not present in this build: the compute engine is missing.');
    return load();
  })();
  return clientModule;
}

export function poolSize(): number {
  // One engine per core for candidate search, but keep one core for the page and Python.
  const cores = navigator.hardwareConcurrency || 2;
  return Math.max(2, Math.min(4, cores));
}

export async function createPool(): Promise<EnginePool> {
  const mod = await loadClientModule();
  return mod.createEnginePool({ size: poolSize() });
}

/** Error kinds that cross the worker keep their name; anything else is normalised to Error. */
export function errorKind(e: unknown): { name: string; message: string } {
  if (e instanceof Error) return { name: e.name, message: e.message };
  return { name: 'Error', message: String(e) };
}
