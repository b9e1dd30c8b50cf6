#!/usr/bin/env node
// `npm run pelican -- <command> [options]`: the Python CLI (py/pelican/cli.py) in Pyodide. Files
// are read and written by Node on the user's behalf (py/host/files.mjs), relative to the
// directory the user ran the command from, and Python resumes from the page's memory snapshot
// (build/pyodide-snapshot, made on first use) instead of starting from scratch.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hostFiles } from './files.mjs';
import { loadPelican } from './node.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const started = Date.now();
// `npm run` moves to the project's root; INIT_CWD holds where the user was. Only trusted when npm
// started this very script: any other process inherits an INIT_CWD that is not its own.
const userCwd =
  process.env.INIT_CWD && process.env.npm_lifecycle_event === 'pelican' && resolve(process.cwd()) === root
    ? process.env.INIT_CWD
    : process.cwd();
let host;
try {
  // PELICAN_SNAPSHOT_DIR: another cache (the tests use a temporary one).
  const snapshotDir = process.env.PELICAN_SNAPSHOT_DIR || join(root, 'build', 'pyodide-snapshot');
  host = await loadPelican({ snapshotDir, files: hostFiles(userCwd) });
} catch (error) {
  console.error(`error: could not start pelican: ${error.message}`);
  process.exit(1);
}
const { pyodide } = host;
const os = pyodide.pyimport('os');
os.environ.set('PELICAN_TTY', process.stdout.isTTY ? '1' : '0');
// Only what the user chose to pass on: the LLM commands read their key from the environment.
for (const name of ['ANTHROPIC_API_KEY', 'OPENAI_API_KEY', 'PELICAN_API_KEY']) {
  if (process.env[name]) os.environ.set(name, process.env[name]);
}
os.destroy();
let code = 1;
try {
  pyodide.globals.set('_argv', pyodide.toPy(process.argv.slice(2)));
  code = await pyodide.runPythonAsync('from pelican.cli import main\nawait main(list(_argv))');
} catch (error) {
  console.error(`error: ${error.message}`);
} finally {
  host.close();
}
if (process.env.PELICAN_TIMING)
  console.error(`[${((Date.now() - started) / 1000).toFixed(2)} s, Python ${host.start}]`);
process.exit(Number(code));
