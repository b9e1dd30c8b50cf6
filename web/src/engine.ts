// The page's door to the compute workers (workers/client.ts). The page never does pixel maths
// itself: it only asks its engine for renders and optimisation runs. Python's pool is its own
// worker's (python.worker.ts), sized by poolSize().
//
// The client is imported on first use, not with the page's bundle: the target and the scene
// sketch are drawn before the worker code is even parsed.
import type { EngineClient } from '../../workers/client';

export type {
  Breakdown,
  EngineClient,
  EnginePool,
  EvaluateResult,
  OptimizeOptions,
  OptimizeResult,
  Progress as OptimizeProgress,
} from '../../workers/client';

type ClientModule = typeof import('../../workers/client');

let clientModule: Promise<ClientModule> | undefined;

export function loadClientModule(): Promise<ClientModule> {
  clientModule ??= import('../../workers/client');
  return clientModule;
}

export function poolSize(): number {
  // One engine per core for candidate search, but keep one core for the page and Python.
  const cores = navigator.hardwareConcurrency || 2;
  return Math.max(2, Math.min(4, cores));
}

let viewEngine: Promise<EngineClient> | null = null;

/** The page's own engine for renders and optimise runs, outside the pool, so Python's search always has the whole pool. */
export function engine(): Promise<EngineClient> {
  viewEngine ??= loadClientModule().then((mod) => mod.createEngine());
  return viewEngine;
}
