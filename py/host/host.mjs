// The one host of the pelican package: the `pelican_host` JS module that py/pelican/_host.py (and
// only it) reads, built the same way by the page's Python worker (web/src/python.worker.ts) and
// by Node (py/host/node.mjs). What differs between them is passed in: the page adds its run relay,
// Node its decoders, GIF encoder and the user's files. Plain JS: both import it as it is.

/**
 * @param {{
 *   client: typeof import('../../workers/client.ts'),
 *   poolSize?: number,
 *   runs?: { optimize(token: number, engine: object, options: object): Promise<object>, progress(token: number, p: object): void },
 *   extras?: Record<string, unknown>,
 * }} options
 *   client: the engine client module (workers/client.ts, or build/workers/client.js in Node);
 *     it re-exports workers/protocol.ts, whose constants Python is handed from here.
 *   runs: where a page run's progress goes (the page's worker); Node has none.
 *   extras: optional members (decodeImage, encodeGif, readFile, writeFile, makeDirs).
 * @returns {Promise<{ module: object, pool: object, close(): void }>} module: what to register
 *   as `pelican_host`; close() stops every worker it started.
 */
export async function createHost({ client, poolSize, runs, extras = {} }) {
  const pool = client.createEnginePool(poolSize ? { size: poolSize } : {});
  const owned = new Set();
  // Python validates scenes with the engine's own table; one pool worker hands it over.
  const tableEngine = await pool.acquire();
  const shapeModel = JSON.stringify(await tableEngine.shapeModel());
  pool.release(tableEngine);
  const module = {
    /** workers/protocol.ts's constants, as JSON text (read by _host.protocol()). */
    protocol: JSON.stringify({
      breakdownKeys: client.BREAKDOWN_KEYS,
      defaultWeights: client.DEFAULT_WEIGHTS,
      errorNames: { engine: client.ENGINE_ERROR, crashed: client.ENGINE_CRASHED, aborted: client.ENGINE_ABORTED },
    }),
    /** The engine's shape table (workers/protocol.ts ShapeModel), as JSON text. */
    shapeModel,
    poolSize: pool.size,
    pool,
    /** A worker of Python's own; close() terminates whatever is still running. */
    createEngine() {
      const engine = client.createEngine();
      owned.add(engine);
      return engine;
    },
    acquire: () => pool.acquire(),
    release: (engine) => pool.release(engine),
    /**
     * engine.optimize, with progress to `onProgress` (a Python callable), or, for a page run's
     * token, from the engine straight to the page without entering Python.
     */
    optimize(engine, options, onProgress, token) {
      if (token !== null && token !== undefined) {
        if (!runs) throw new Error('this host has no page runs to send progress to');
        return runs.optimize(Number(token), engine, options);
      }
      return onProgress ? engine.optimize(options, (p) => onProgress(p)) : engine.optimize(options);
    },
    relayProgress(token, progress) {
      runs?.progress(Number(token), progress);
    },
    /**
     * One POST for the LLM clients. Redirects are not followed (a redirect must not carry the
     * key's header elsewhere): browsers answer an opaque status 0, Node the 3xx itself.
     * Rejects with the fetch's own error (TimeoutError, TypeError for the network).
     */
    async post(url, headers, body, timeoutMs) {
      const response = await fetch(url, {
        method: 'POST',
        headers,
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      });
      const text = await response.text();
      return { status: response.status, text, retryAfter: response.headers.get('retry-after') };
    },
    ...extras,
  };
  return {
    module,
    pool,
    close() {
      pool.terminate();
      for (const engine of owned) engine.terminate();
    },
  };
}

/** The members every host has; tests compare page and Node against it. */
export const HOST_MEMBERS = [
  'protocol',
  'shapeModel',
  'poolSize',
  'pool',
  'createEngine',
  'acquire',
  'release',
  'optimize',
  'relayProgress',
  'post',
];
