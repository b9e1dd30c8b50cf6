#!/usr/bin/env node
// `npm run pelican -- <command> [options]`: the Python CLI (py/pelican/cli.py) in Pyodide, with
// the host's whole file system mounted so paths behave as in the shell.
import { loadPelican } from './node.mjs';

const HOST_ROOT = '/host';
const started = Date.now();
let host;
try {
  host = await loadPelican();
} catch (error) {
  console.error(`error: could not start pelican: ${error.message}`);
  process.exit(1);
}
const { pyodide } = host;
pyodide.FS.mkdirTree(HOST_ROOT);
pyodide.mountNodeFS(HOST_ROOT, '/');
pyodide.runPython(`import os
os.environ['PELICAN_HOST_ROOT'] = ${JSON.stringify(HOST_ROOT)}
os.environ['PELICAN_TTY'] = ${JSON.stringify(process.stdout.isTTY ? '1' : '0')}
os.chdir(${JSON.stringify(HOST_ROOT + process.cwd())})`);
// Only what the user chose to pass on: the LLM commands read their key from the environment.
for (const name of ['ANTHROPIC_API_KEY', 'OPENAI_API_KEY', 'PELICAN_API_KEY']) {
  if (process.env[name]) pyodide.globals.get('__import__')('os').environ.set(name, process.env[name]);
}
let code = 1;
try {
  pyodide.globals.set('_argv', pyodide.toPy(process.argv.slice(2)));
  code = await pyodide.runPythonAsync('from pelican.cli import main\nawait main(list(_argv))');
} catch (error) {
  console.error(`error: ${error.message}`);
} finally {
  host.close();
}
if (process.env.PELICAN_TIMING) console.error(`[${((Date.now() - started) / 1000).toFixed(1)} s]`);
process.exit(Number(code));
