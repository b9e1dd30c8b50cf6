// `node py/host/make-snapshot.mjs OUT_DIR`: a Pyodide memory snapshot with the pelican package
// already imported, written as OUT_DIR/pelican-<key>.snapshot.bin (name and file format:
// py/host/snapshot-resume.mjs). The page resumes it instead of starting Python from scratch: in
// Chromium a cold loadPyodide() spends ~6 s running CPython's start-up in not-yet-optimised Wasm,
// a resume mostly copies memory back.
//
// The snapshot is made in Node but resumed in browsers, so it must hold nothing of Node or of this
// machine: start-up options match a browser's defaults, the time zone is pinned to UTC while it is
// made, and what a visit must take afresh (random seed, LANG, local time zone) is redone on every
// resume by py/host/pelican_thaw.py. e2e/python-start.spec.ts compares a resumed page with a cold one.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SNAPSHOT_FILE_PATTERN, THAW_MODULE, packSnapshot, snapshotFileName, snapshotKey } from './snapshot-resume.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const HOME = '/home/pyodide';

/** [path under /home/pyodide, text] for every file the snapshot imports: the key's input. */
export function snapshotSources() {
  const files = [];
  const walk = (dir) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.py'))
        files.push([relative(join(root, 'py'), path).split(sep).join('/'), readFileSync(path, 'utf8')]);
    }
  };
  walk(join(root, 'py', 'pelican'));
  files.push([`${THAW_MODULE}.py`, readFileSync(join(root, 'py', 'host', `${THAW_MODULE}.py`), 'utf8')]);
  return files;
}

export function pyodideVersion() {
  return JSON.parse(readFileSync(join(root, 'node_modules', 'pyodide', 'package.json'), 'utf8')).version;
}

/** The file name a page carrying the current sources will ask for. */
export function currentSnapshotName() {
  return snapshotFileName(snapshotKey(pyodideVersion(), snapshotSources()));
}

const making = new Map();

/**
 * Makes OUT_DIR/<current name> unless it is there already, and removes older snapshots beside it
 * (22 MiB each). A child process does the work: Pyodide's start-up changes Node's globals, and the
 * time zone must be pinned before anything reads it. Resolves to the file's path.
 */
export function ensureSnapshot(outDir) {
  const name = currentSnapshotName();
  const path = join(outDir, name);
  if (existsSync(path)) return Promise.resolve(path);
  if (!making.has(path)) {
    const made = new Promise((done, fail) => {
      const child = spawn(process.execPath, [fileURLToPath(import.meta.url), outDir], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let errors = '';
      child.stderr.on('data', (chunk) => (errors += chunk));
      child.on('error', fail);
      child.on('exit', (code) => {
        if (code === 0 && existsSync(path)) done(path);
        else
          fail(
            new Error(
              `making the Pyodide snapshot failed (node py/host/make-snapshot.mjs ${outDir}, exit ${code}):\n${errors}`,
            ),
          );
      });
    }).then((made) => {
      for (const old of readdirSync(outDir)) {
        // Another name's file, or what a crashed run left half-written under it.
        if (SNAPSHOT_FILE_PATTERN.test(old.replace(/\.partial$/, '')) && !old.startsWith(name))
          rmSync(join(outDir, old), { force: true });
      }
      return made;
    });
    making.set(path, made);
    made.catch(() => undefined).finally(() => making.delete(path));
  }
  return making.get(path);
}

async function makeSnapshot(outDir) {
  const started = Date.now();
  const { loadPyodide, version } = await import('pyodide');
  const files = snapshotSources();
  const pyodide = await loadPyodide({
    packages: [],
    _makeSnapshot: true,
    // What a browser gets by default; under Node these would be the script's path.
    _sysExecutable: './this.program',
    stdout: (s) => process.stderr.write(s + '\n'),
    stderr: (s) => process.stderr.write(s + '\n'),
  });
  for (const [path, text] of files) {
    pyodide.FS.mkdirTree(`${HOME}/${dirname(path)}`);
    pyodide.FS.writeFile(`${HOME}/${path}`, text);
  }
  pyodide.runPython(`
import sys
# loadPyodide puts '' first on every start, a resumed one too: leave it to that.
if sys.path[0] == '':
    del sys.path[0]
sys.path.insert(0, ${JSON.stringify(HOME)})
import gc, importlib, pkgutil
import pelican
for module in pkgutil.walk_packages(pelican.__path__, 'pelican.'):
    importlib.import_module(module.name)
# What the page's console and bridge (web/src/python.ts, web/src/pelican_app.py) import besides.
import codeop, pyodide.code, ${THAW_MODULE}
gc.collect()
`);
  const bytes = pyodide.makeMemorySnapshot();
  const name = snapshotFileName(snapshotKey(version, files));
  mkdirSync(outDir, { recursive: true });
  // Written under a temporary name first: a server may be serving this directory.
  const path = join(outDir, name);
  const packed = packSnapshot(bytes);
  writeFileSync(path + '.partial', packed);
  renameSync(path + '.partial', path);
  const mib = (n) => (n / 2 ** 20).toFixed(1);
  process.stderr.write(
    `[snapshot] ${name}: ${mib(bytes.length)} MiB (${mib(packed.length)} MiB without its zero pages) in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
  );
  return path;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const outDir = process.argv[2];
  if (!outDir) {
    console.error('usage: node py/host/make-snapshot.mjs OUT_DIR');
    process.exit(2);
  }
  // Before anything reads the clock: the snapshot must not carry this machine's time zone.
  process.env.TZ = 'UTC';
  try {
    console.log(await makeSnapshot(resolve(outDir)));
  } catch (error) {
    console.error(error?.stack ?? String(error));
    process.exit(1);
  }
}
