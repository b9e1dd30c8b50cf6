// Types for host.mjs (plain JS so that Node runs it as is).
import type * as Client from '../../workers/client';

export interface HostRuns {
  optimize(token: number, engine: Client.EngineClient, options: Client.OptimizeOptions): Promise<Client.OptimizeResult>;
  progress(token: number, progress: Client.Progress): void;
}

export interface Host {
  /** What to register as the `pelican_host` JS module (py/pelican/_host.py's contract). */
  module: Record<string, unknown>;
  pool: Client.EnginePool;
  close(): void;
}

export function createHost(options: {
  client: typeof Client;
  poolSize?: number;
  runs?: HostRuns;
  extras?: Record<string, unknown>;
}): Promise<Host>;

export const HOST_MEMBERS: string[];
