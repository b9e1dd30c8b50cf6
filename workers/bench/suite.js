// The Wasm benchmark, written once for both runtimes: Node runs it against build/workers/client.js,
// Chromium against workers/client.ts served by Vite. Timing of optimize steps is taken inside
// the worker (OptimizeResult.elapsedMs), so messaging is measured separately (rpc records).

// One thread, then every core (the threads build alone on the machine); where the threads build
// is unavailable (a page without isolation) both are the single-threaded build.
export const THREAD_MODES = ['1', 'all'];

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function round(value, digits = 4) {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

function typedScene(scene) {
  // Inputs may arrive as plain arrays (from page.evaluate); the engine takes typed arrays, and
  // takes them over (transfer), so every call gets fresh copies.
  return [Int32Array.from(scene.types), Float64Array.from(scene.values), Float64Array.from(scene.background)];
}

async function prepared(engine, config) {
  await engine.init(config.resolution, config.resolution, config.model);
  await engine.setTarget(Float32Array.from(config.target));
  if (config.weights) await engine.setWeights(config.weights);
  await engine.setScene(...typedScene(config));
}

const SMALL = (inputs) => ({
  resolution: 128,
  model: { channels: 1, opacity: false, fitBackground: false },
  weights: null,
  ...inputs.small,
});

/**
 * @param client  the module exporting createEngine / createEnginePool
 * @param inputs  scenes.mjs benchInputs(): { configs: [{scene, resolution, shapes, model, target, weights, types, values, background}], small }
 * @param options { runtime, steps, poolSize, log }
 * @returns records for scripts/bench.mjs
 */
export async function runSuite(client, inputs, options) {
  const { runtime, steps = 300, poolSize = 2, log = () => undefined } = options;
  const records = [];

  // Same method as cpp/bench: one optimize over the whole τ schedule, every step timed on its
  // own (inside the worker), median and minimum of the per-step times.
  for (const config of inputs.configs) {
    for (const mode of THREAD_MODES) {
      const engine = client.createEngine(mode === '1' ? { threads: 1 } : {});
      try {
        await prepared(engine, config);
        await engine.optimize({ steps: 10 }); // warm-up: JIT tiers, memory growth
        // The helper threads are Web Workers that load the module once this engine's worker
        // yields; give them time to join before anything is timed.
        if (mode !== '1') await new Promise((resolve) => setTimeout(resolve, 300));
        await engine.optimize({ steps: 10 });
        const { flavour, threads } = await engine.info();
        await engine.setScene(...typedScene(config));
        const result = await engine.optimize({ steps, recordStepTimes: true });
        const perStep = Array.from(result.stepMs);
        const sorted = [...perStep].sort((a, b) => a - b);
        const { resolution, shapes, scene } = config;
        const record = {
          runtime,
          resolution,
          shapes,
          scene,
          threads,
          // Upper median, as the native benchmark takes it.
          ms_per_step_median: round(sorted[sorted.length >> 1]),
          ms_per_step_min: round(sorted[0]),
          steps: perStep.length,
          flavour,
        };
        log(
          `${runtime} ${resolution}² × ${shapes} ${scene}, ${threads} thread(s): ${record.ms_per_step_median} ms/step (min ${record.ms_per_step_min})`,
        );
        records.push(record);
      } finally {
        engine.terminate();
      }
    }
  }

  // One round trip through Comlink and the worker, without (info) and with (evaluate) real work.
  {
    const engine = client.createEngine();
    try {
      await prepared(engine, SMALL(inputs));
      for (let i = 0; i < 20; i++) await engine.evaluate(1 / 128);
      const timed = async (call, count) => {
        const times = [];
        for (let i = 0; i < count; i++) {
          const started = performance.now();
          await call();
          times.push(performance.now() - started);
        }
        return times;
      };
      const noop = await timed(() => engine.info(), 200);
      const evaluate = await timed(() => engine.evaluate(1 / 128), 100);
      records.push({
        runtime,
        metric: 'rpc_roundtrip',
        resolution: 128,
        shapes: 9,
        empty_call_ms_median: round(median(noop)),
        evaluate_roundtrip_ms_median: round(median(evaluate)),
        evaluate_roundtrip_ms_min: round(Math.min(...evaluate)),
        calls: noop.length + evaluate.length,
      });
      log(`${runtime} rpc: empty call ${round(median(noop))} ms, evaluate round trip ${round(median(evaluate))} ms`);
    } finally {
      engine.terminate();
    }
  }

  // Pool speed-up: the same candidate batch on one engine, then on a pool.
  {
    const candidates = Array.from({ length: 4 * poolSize }, (_, i) => i);
    const work = async (engine) => {
      await prepared(engine, SMALL(inputs));
      await engine.optimize({ steps: 40 });
    };
    const single = client.createEnginePool({ size: 1 });
    const pool = client.createEnginePool({ size: poolSize });
    try {
      // Start-up is not what is measured: every worker loads its module first.
      await single.map([0], (_, engine) => work(engine));
      await pool.map(
        Array.from({ length: poolSize }, (_, i) => i),
        (_, engine) => work(engine),
      );
      let started = performance.now();
      await single.map(candidates, (_, engine) => work(engine));
      const serialMs = performance.now() - started;
      started = performance.now();
      await pool.map(candidates, (_, engine) => work(engine));
      const pooledMs = performance.now() - started;
      records.push({
        runtime,
        metric: 'pool_speedup',
        resolution: 128,
        shapes: 9,
        pool_size: poolSize,
        candidates: candidates.length,
        steps_per_candidate: 40,
        serial_ms: round(serialMs, 1),
        pool_ms: round(pooledMs, 1),
        speedup: round(serialMs / pooledMs, 2),
      });
      log(
        `${runtime} pool of ${poolSize}: ${round(serialMs / pooledMs, 2)}× (${round(serialMs, 0)} → ${round(pooledMs, 0)} ms)`,
      );
    } finally {
      single.terminate();
      pool.terminate();
    }
  }
  return records;
}
