// The page's door to the compute workers (workers/client.ts, owned by the worker helper).
// The page never does pixel maths itself: it only asks engines for renders and optimisation
// runs. Python's engine pool is its worker's own (web/src/python.worker.ts), sized by poolSize().
//
// The import goes through import.meta.glob so that the page still builds (and shows a clear
// status) when the workers are not built yet, instead of failing the whole bundle.

// The types are the workers' own (workers/client.ts, workers/protocol.ts): one definition.
import type { EngineClient, EnginePool } from '../../workers/client';

export type {
  Breakdown,
  EngineClient,
  EnginePool,
  OptimizeResult,
  Progress as OptimizeProgress,
} from '../../workers/client';

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
