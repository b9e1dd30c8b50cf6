// The one place the benchmarks call pelican. Python is loaded once (Pyodide under Node, the same
// worker pool the page uses) and each target goes in as the very 8-bit values the other methods
// get (planar floats; file decoding is the CLI's and its tests' business). When the package has
// `vectorize` (colour or gray), that is what runs; else the older greedy pipeline.
import { quantised } from './images.mjs';

/** Defines `_quality_run(pixels, ...)` (pixels: anything with .to_py() giving planar floats). */
export const PYTHON = `
import array, json, time
import pelican
from pelican import GreedyOptions, Image, Scene, to_svg

async def _quality_run(pixels, width, height, channels, shapes, gray, options_json):
    target = Image(width, height, array.array("f", pixels.to_py()), channels)
    rounds = []
    if hasattr(pelican, "vectorize"):
        api = "vectorize"
        overrides = json.loads(options_json)
        options = pelican.VectorizeOptions(**overrides) if overrides else None
        started = time.perf_counter()
        result = await pelican.vectorize(target, shapes=shapes, gray=gray, options=options,
                                         on_round=lambda record, scene: rounds.append(dict(record)))
    else:
        api = "greedy_refine (luma placeholder)"
        started = time.perf_counter()
        result = await pelican.greedy_refine(Scene.initial(target.width, target.height), target.gray(),
                                             GreedyOptions.pipeline(max_shapes=shapes))
    seconds = time.perf_counter() - started
    mse = getattr(result, "mse", None)
    return json.dumps({"svg": to_svg(result.scene), "seconds": seconds, "shapes": len(result.scene), "api": api,
                       "rounds": rounds, "mse": mse if mse == mse else None})
`;

/** The image's 8-bit values as planar floats (channel-major), what Image takes. */
export function planar(image) {
  const { width, height, channels, data } = quantised(image);
  const n = width * height;
  const out = new Float32Array(n * channels);
  for (let i = 0; i < n; i++) for (let c = 0; c < channels; c++) out[c * n + i] = data[i * channels + c];
  return out;
}

/**
 * Loads Python with pelican; `run(image, shapes, options)` → {svg, seconds, cpuSeconds, shapes, api, rounds,
 * mse, ownRasterPsnr}
 * (options: VectorizeOptions fields to override; rounds: vectorize's on_round records); `close()`.
 */
export async function createPelicanRunner({ log = () => {} } = {}) {
  const { loadPelican } = await import('../../host/node.mjs');
  const host = await loadPelican({ stdout: () => {}, stderr: (s) => log(s) });
  await host.pyodide.runPythonAsync(PYTHON);
  const call = host.pyodide.globals.get('_quality_run');
  return {
    async run(image, shapes, options = {}) {
      // CPU time of the whole process (Python and the engine workers are its threads).
      const before = process.cpuUsage();
      const out = await call(
        planar(image),
        image.width,
        image.height,
        image.channels,
        shapes,
        image.channels === 1,
        JSON.stringify(options),
      );
      const used = process.cpuUsage(before);
      const run = JSON.parse(out);
      // The engine's own render at the polish τ, beside the SVG as Chromium draws it.
      const ownRasterPsnr = run.mse > 0 ? -10 * Math.log10(run.mse) : undefined;
      return { ...run, ownRasterPsnr, cpuSeconds: (used.user + used.system) / 1e6 };
    },
    close() {
      call.destroy();
      host.close();
    },
  };
}
