// pelican's vectorize in the built app in headless Chromium (Debian's), where the goal is
// measured: the app is built and served by Vite, and each run goes through the page's devtools
// door (`pelican.py`), so Python, its engine pool and the Wasm build are the page's own. The
// Python is the quality benchmark's runner (py/bench/quality/pelican-run.mjs); the pixels cross
// as base64 of the 8-bit values.
import { PYTHON, planar } from '../quality/pelican-run.mjs';

const GLUE = `
import base64

class _Planar:
    def __init__(self, text):
        self.text = text

    def to_py(self):
        return [v / 255 for v in base64.b64decode(self.text)]
`;

/** Builds and serves the app, opens it; `run(image, shapes, options)` as createPelicanRunner's; `close()`. */
export async function createChromiumRunner({ log = () => {}, port = 5303 } = {}) {
  const { openBuiltApp } = await import('../../../scripts/built-app.mjs');
  const { url, browser, close } = await openBuiltApp({ port, log });
  try {
    const page = await browser.newPage();
    await page.goto(url);
    await page.waitForFunction(() => document.body.dataset.ready, null, { timeout: 120_000 });
    const ready = await page.evaluate(() => document.body.dataset.ready);
    if (ready !== 'true') throw new Error(`the app did not get ready (data-ready=${ready})`);
    const py = (code) => page.evaluate((c) => window.pelican.py(c, { timeout: 600_000 }), code);
    await py(PYTHON + GLUE + '\nNone');
    return {
      async run(image, shapes, options = {}) {
        const bytes = Buffer.from(Array.from(planar(image), (v) => Math.round(v * 255))).toString('base64');
        const args = [
          JSON.stringify(bytes),
          image.width,
          image.height,
          image.channels,
          shapes,
          image.channels === 1 ? 'True' : 'False',
          JSON.stringify(JSON.stringify(options)),
        ];
        args[0] = `_Planar(${args[0]})`;
        return JSON.parse(await py(`await _quality_run(${args.join(', ')})`));
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
