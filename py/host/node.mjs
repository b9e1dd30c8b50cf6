// Starts the pelican Python package under Node exactly as the page does: Pyodide from the npm
// package, py/pelican on its path, and `pelican_host` made by the page's own createHost()
// (py/host/host.mjs) over the same worker client (build/workers/client.js over worker_threads).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createHost } from './host.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLIENT = join(root, 'build', 'workers', 'client.js');

/** Where the host's directories appear inside Pyodide's file system. */
export const PY_SOURCE_DIR = '/pelican-src';
export const CWD_DIR = '/cwd';

async function decoders() {
  const [{ PNG }, jpegModule, { decodeImage }] = await Promise.all([
    import('pngjs'),
    import('jpeg-js'),
    import('./decode-image.mjs'),
  ]);
  const jpeg = jpegModule.decode ? jpegModule : jpegModule.default;
  return {
    decodeImage: (bytes, longest) => decodeImage(bytes, { longest }, { PNG, jpeg }),
  };
}

/**
 * Has the snapshot made for the next run, detached and silent: this run goes on cold. One maker
 * at a time (two writing the same file could leave a torn one): the marker beside the file holds
 * the pid of the one at work.
 */
function makeInBackground(path, snapshotDir) {
  const marker = `${path}.making`;
  try {
    const pid = existsSync(marker) ? Number(readFileSync(marker, 'utf8')) : 0;
    if (pid > 0) {
      try {
        process.kill(pid, 0);
        return; // still at work
      } catch {
        // gone: its marker is stale
      }
    }
    mkdirSync(snapshotDir, { recursive: true });
    const child = spawn(process.execPath, [join(root, 'py', 'host', 'make-snapshot.mjs'), snapshotDir], {
      detached: true,
      stdio: 'ignore',
    });
    child.on('error', () => undefined);
    child.unref();
    writeFileSync(marker, String(child.pid ?? 0));
  } catch {
    // A read-only cache: every run starts cold, which still works.
  }
}

/**
 * Pyodide resumed from the memory snapshot the page uses (py/host/make-snapshot.mjs), kept in
 * snapshotDir: a resume takes ~0.5 s where a cold start takes 2-6 s. Without a usable one for the
 * current sources, starts cold and has one made for the next run.
 */
async function startPyodide(loadOptions, snapshotDir) {
  const pyodideModule = await import('pyodide');
  if (!snapshotDir || process.env.PELICAN_COLD_START)
    return { pyodide: await pyodideModule.loadPyodide(loadOptions), start: 'cold' };
  const [{ currentSnapshotName }, { resumeFromSnapshot, snapshotLength }] = await Promise.all([
    import('./make-snapshot.mjs'),
    import('./snapshot-resume.mjs'),
  ]);
  const path = join(snapshotDir, currentSnapshotName());
  if (existsSync(path)) {
    try {
      const file = new Uint8Array(readFileSync(path));
      const { default: createPyodideModule } = await import('pyodide/pyodide.asm.mjs');
      const lang = `${(globalThis.navigator?.languages?.[0] || 'C').replace('-', '_')}.UTF-8`;
      const snapshot = { length: Promise.resolve(snapshotLength(file)), file: Promise.resolve(file) };
      return {
        pyodide: await resumeFromSnapshot(pyodideModule, createPyodideModule, snapshot, loadOptions, lang),
        start: 'snapshot',
      };
    } catch (error) {
      // A torn or foreign file: made again for the next run. Whoever wrote it is done with it
      // (writing ends in a rename), so its maker's marker goes too.
      if (process.env.PELICAN_DEBUG) process.stderr.write(`[pelican] starting Python from scratch: ${error.message}\n`);
      rmSync(path, { force: true });
      rmSync(`${path}.making`, { force: true });
    }
  }
  makeInBackground(path, snapshotDir);
  return { pyodide: await pyodideModule.loadPyodide(loadOptions), start: 'cold' };
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
 *          mountCwd?: boolean, extraModules?: Record<string, object>, snapshotDir?: string,
 *          files?: object}} options snapshotDir: resume from the page's snapshot kept there;
 *   files: the user's file system for pelican._host (py/host/files.mjs hostFiles())
 */
export async function loadPelican(options = {}) {
  if (!existsSync(CLIENT)) {
    throw new Error(`${CLIENT} is missing: run \`npm run build:workers\` (npm start and npm test do it).`);
  }
  const client = await import(pathToFileURL(CLIENT).href);
  const write = (stream) => (bytes) => {
    stream.write(bytes);
    return bytes.length;
  };
  const { pyodide, start } = await startPyodide(
    { stdout: options.stdout, stderr: options.stderr, packages: [] },
    options.snapshotDir,
  );
  if (!options.stdout) pyodide.setStdout({ write: write(process.stdout) });
  if (!options.stderr) pyodide.setStderr({ write: write(process.stderr) });

  pyodide.FS.mkdirTree(PY_SOURCE_DIR);
  pyodide.mountNodeFS(PY_SOURCE_DIR, join(root, 'py'));
  if (options.mountCwd) {
    pyodide.FS.mkdirTree(CWD_DIR);
    pyodide.mountNodeFS(CWD_DIR, process.cwd());
  }
  const host = await createHost({
    client,
    poolSize: options.poolSize,
    extras: { ...(await decoders()), ...(await gifEncoder()), ...(options.files ?? {}) },
  });
  pyodide.registerJsModule('pelican_host', host.module);
  for (const [name, module] of Object.entries(options.extraModules ?? {})) pyodide.registerJsModule(name, module);
  pyodide.runPython(`import sys\nsys.path.insert(0, ${JSON.stringify(PY_SOURCE_DIR)})\nsys.dont_write_bytecode = True`);
  if (options.mountCwd) pyodide.runPython(`import os\nos.chdir(${JSON.stringify(CWD_DIR)})`);
  return {
    pyodide,
    /** 'snapshot' or 'cold' */
    start,
    pool: host.pool,
    client,
    /** The `pelican_host` module Python was given (py/host/host.mjs). */
    hostModule: host.module,
    /** Stops every worker so Node can exit. */
    close: () => host.close(),
  };
}
