// Where the code runs. The same worker and client files run in browsers (through Vite) and in
// Node (compiled to build/workers/); this file is the only place that tells them apart, so the
// TypeScript stays free of @types/node and the browser bundle free of Node imports.

interface NodeProcess {
  versions: { node?: string };
  env: Record<string, string | undefined>;
  getBuiltinModule(id: string): unknown;
}

const nodeProcess = (globalThis as { process?: NodeProcess }).process;

export const IS_NODE = typeof nodeProcess?.versions?.node === 'string';

/** A Node built-in, loaded synchronously (Node ≥ 20.16) so no top-level await reaches the browser. */
export function nodeBuiltin<T>(id: string): T {
  if (!IS_NODE || typeof nodeProcess?.getBuiltinModule !== 'function') {
    throw new Error(`nodeBuiltin('${id}'): needs Node 20.16 or later`);
  }
  return nodeProcess.getBuiltinModule(id) as T;
}

// The few Node APIs used, typed by hand.
export interface NodeWorkerThreads {
  Worker: new (url: URL, options?: { name?: string }) => NodeWorker;
  parentPort: NodeMessagePort | null;
}
export interface NodeMessagePort {
  postMessage(message: unknown, transfer?: unknown[]): void;
  on(event: string, listener: (...args: never[]) => void): void;
  off(event: string, listener: (...args: never[]) => void): void;
  start?(): void;
}
export interface NodeWorker extends NodeMessagePort {
  terminate(): Promise<number>;
  once(event: 'exit', listener: (code: number) => void): void;
  once(event: 'error', listener: (error: Error) => void): void;
}
export interface NodeFs {
  readFileSync(path: URL): Uint8Array;
}
export interface NodeOs {
  availableParallelism(): number;
}

/** Logical cores available to this page or process. */
export function hardwareConcurrency(): number {
  if (IS_NODE) return nodeBuiltin<NodeOs>('node:os').availableParallelism();
  return (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency || 1;
}

export const now: () => number = () => performance.now();

/**
 * The host's thread setting (Node only, PELICAN_THREADS): "single" loads the single-threaded
 * build, a positive integer caps the threads per engine, unset or "auto" leaves both to the
 * client. Anything else is refused in one line.
 */
export function hostThreads(): { singleThread?: boolean; threads?: number } {
  const text = IS_NODE ? nodeProcess?.env?.PELICAN_THREADS?.trim() : undefined;
  if (!text || text === 'auto') return {};
  if (text === 'single') return { singleThread: true };
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`PELICAN_THREADS must be "auto", "single" or a positive integer, got "${text}"`);
  return { threads: n };
}
