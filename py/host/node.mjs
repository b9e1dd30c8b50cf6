// Starts the pelican Python package under Node exactly as the page does: Pyodide from the npm
// package, py/pelican on its path, and `pelican_host` (py/pelican/_host.py's contract) backed by
// the same worker client the browser uses (build/workers/client.js over worker_threads).
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLIENT = join(root, 'build', 'workers', 'client.js');

/** Where the host's directories appear inside Pyodide's file system. */
export const PY_SOURCE_DIR = '/pelican-src';
export const CWD_DIR = '/cwd';

async function decoders() {
  const [{ PNG }, jpeg] = await Promise.all([import('pngjs'), import('jpeg-js')]);
  return {
    decodeImage(bytes) {
      const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      if (buf[0] === 0x89 && buf[1] === 0x50) {
        const png = PNG.sync.read(buf);
        return { width: png.width, height: png.height, rgba: new Uint8Array(png.data) };
      }
      if (buf[0] === 0xff && buf[1] === 0xd8) {
        const img = jpeg.decode(buf, { useTArray: true, maxMemoryUsageInMB: 1024 });
        return { width: img.width, height: img.height, rgba: img.data };
      }
      throw new Error('unrecognised image format (PNG, JPEG or PGM expected)');
    },
  };
}

async function gifEncoder() {
  const gifenc = await import('gifenc');
  const { GIFEncoder } = gifenc.GIFEncoder ? gifenc : gifenc.default;
  return {
    /** frames: JSON [{width, height, delay}], pixels: all frames' grays in [0,1], concatenated. */
    encodeGif(framesJson, pixels) {
      const frames = JSON.parse(framesJson);
      const gif = GIFEncoder();
      const palette = Array.from({ length: 256 }, (_, v) => [v, v, v]);
      let offset = 0;
      for (const [i, f] of frames.entries()) {
        const n = f.width * f.height;
        const index = new Uint8Array(n);
        for (let k = 0; k < n; k++) index[k] = Math.max(0, Math.min(255, Math.trunc(255 * pixels[offset + k])));
        offset += n;
        gif.writeFrame(index, f.width, f.height, { palette: i === 0 ? palette : undefined, delay: f.delay, repeat: 0 });
      }
      gif.finish();
      return gif.bytes();
    },
  };
}

/**
 * Loads Pyodide with the pelican package and an engine pool.
 * @param {{poolSize?: number, stdout?: (s: string) => void, stderr?: (s: string) => void,
 *          mountCwd?: boolean, extraModules?: Record<string, object>}} options
 */
export async function loadPelican(options = {}) {
  if (!existsSync(CLIENT)) {
    throw new Error(`${CLIENT} is missing: run \`npm run build:workers\` (npm start and npm test do it).`);
  }
  const client = await import(pathToFileURL(CLIENT).href);
  const { loadPyodide } = await import('pyodide');
  const write = (stream) => (bytes) => {
    stream.write(bytes);
    return bytes.length;
  };
  const pyodide = await loadPyodide({
    stdout: options.stdout,
    stderr: options.stderr,
    packages: [],
  });
  if (!options.stdout) pyodide.setStdout({ write: write(process.stdout) });
  if (!options.stderr) pyodide.setStderr({ write: write(process.stderr) });

  pyodide.FS.mkdirTree(PY_SOURCE_DIR);
  pyodide.mountNodeFS(PY_SOURCE_DIR, join(root, 'py'));
  if (options.mountCwd) {
    pyodide.FS.mkdirTree(CWD_DIR);
    pyodide.mountNodeFS(CWD_DIR, process.cwd());
  }
  const pool = client.createEnginePool(options.poolSize ? { size: options.poolSize } : {});
  const owned = new Set();
  // Python validates scenes with the engine's own table; one pool worker hands it over.
  const tableEngine = await pool.acquire();
  const shapeModel = JSON.stringify(await tableEngine.shapeModel());
  pool.release(tableEngine);
  pyodide.registerJsModule('pelican_host', {
    shapeModel,
    createEngine() {
      const engine = client.createEngine();
      owned.add(engine);
      return engine;
    },
    pool,
    poolSize: pool.size,
    ...(await decoders()),
    ...(await gifEncoder()),
  });
  for (const [name, module] of Object.entries(options.extraModules ?? {})) pyodide.registerJsModule(name, module);
  pyodide.runPython(`import sys\nsys.path.insert(0, ${JSON.stringify(PY_SOURCE_DIR)})\nsys.dont_write_bytecode = True`);
  if (options.mountCwd) pyodide.runPython(`import os\nos.chdir(${JSON.stringify(CWD_DIR)})`);
  return {
    pyodide,
    pool,
    client,
    /** Stops every worker so Node can exit. */
    close() {
      pool.terminate();
      for (const engine of owned) engine.terminate();
    },
  };
}
