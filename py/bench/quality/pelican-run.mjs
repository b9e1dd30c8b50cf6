// The one place the quality benchmark calls pelican. Python is loaded once (Pyodide under Node,
// the same worker pool the page uses) and each target goes in as PNG bytes through
// Image.from_bytes, the path a user's file takes. When the package has `vectorize` (colour or
// gray), that is what runs; until then, today's one-click greedy pipeline on the luma target.
import { PNG } from 'pngjs';
import { toRgba } from './images.mjs';

const PYTHON = `
import json, time
import pelican
from pelican import GreedyOptions, Image, Scene, to_svg

async def _quality_run(png, side, shapes, gray):
    target = Image.from_bytes(bytes(png.to_bytes()), "target.png").fit(side)
    if hasattr(pelican, "vectorize"):
        if gray and hasattr(target, "gray"):
            target = target.gray()
        api = "vectorize"
        started = time.perf_counter()
        result = await pelican.vectorize(target, shapes=shapes, gray=gray)
    else:
        api = "greedy_refine (luma placeholder)"
        started = time.perf_counter()
        result = await pelican.greedy_refine(Scene.initial(target.width, target.height), target,
                                             GreedyOptions.pipeline(max_shapes=shapes))
    seconds = time.perf_counter() - started
    return json.dumps({"svg": to_svg(result.scene), "seconds": seconds, "shapes": len(result.scene), "api": api})
`;

function pngBytes(image) {
  const png = new PNG({ width: image.width, height: image.height });
  png.data = Buffer.from(toRgba(image));
  return new Uint8Array(PNG.sync.write(png));
}

/** Loads Python with pelican; `run(image, shapes)` → {svg, seconds, shapes, api}; `close()`. */
export async function createPelicanRunner({ log = () => {} } = {}) {
  const { loadPelican } = await import('../../host/node.mjs');
  const host = await loadPelican({ stdout: () => {}, stderr: (s) => log(s) });
  await host.pyodide.runPythonAsync(PYTHON);
  const call = host.pyodide.globals.get('_quality_run');
  return {
    async run(image, shapes) {
      const side = Math.max(image.width, image.height);
      const out = await call(pngBytes(image), side, shapes, image.channels === 1);
      return JSON.parse(out);
    },
    close() {
      call.destroy();
      host.close();
    },
  };
}
