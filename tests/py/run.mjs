// The Python suite: unittest modules in tests/py, run inside Pyodide under Node against the real
// Wasm engine (py/host/node.mjs), with a local fake LLM provider for the llm tests.
// Writes build/test-results/py.json ({passed, failed, skipped, tests}). Argument: a name filter.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadPelican } from '../../py/host/node.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const shared = (name, variable) => resolve(process.env[variable] ?? join(root, '..', 'shared', name));

const started = Date.now();
const extraModules = {};
let fakeLlm;
const fakeLlmFile = join(root, 'tests', 'fake-llm.mjs');
if (existsSync(fakeLlmFile)) {
  const { startFakeLlm } = await import(pathToFileURL(fakeLlmFile).href);
  fakeLlm = await startFakeLlm();
  extraModules.pelican_test_llm = fakeLlm;
}

const host = await loadPelican({ poolSize: 2, extraModules });
const { pyodide } = host;
const mounts = {
  '/tests-py': join(root, 'tests', 'py'),
  '/golden': shared('golden', 'PELICAN_GOLDEN'),
  '/targets': shared('targets', 'PELICAN_TARGETS'),
};
for (const [at, dir] of Object.entries(mounts)) {
  if (!existsSync(dir)) continue;
  pyodide.FS.mkdirTree(at);
  pyodide.mountNodeFS(at, dir);
}
pyodide.runPython(`import os
os.environ['PELICAN_GOLDEN'] = '/golden'
os.environ['PELICAN_TARGETS'] = '/targets'
os.environ['PELICAN_FAKE_LLM'] = ${JSON.stringify(fakeLlm?.url ?? '')}`);

let results;
try {
  const filter = process.argv[2] ?? '';
  const proxy = await pyodide.runPythonAsync(
    `import json, runner\njson.dumps(await runner.run('/tests-py', ${JSON.stringify(filter)}))`.replace(
      'import json, runner',
      "import sys, json\nsys.path.insert(0, '/tests-py')\nimport runner",
    ),
  );
  results = JSON.parse(proxy);
} finally {
  host.close();
  await fakeLlm?.close();
}

// The CLI as separate processes (node:test), counted with the rest of the Python layer.
// With a name filter, only the files whose name holds it (so one unittest runs alone).
const only = process.argv[2] ?? '';
for (const file of readdirSync(join(root, 'tests', 'py')).filter((f) => f.endsWith('.test.mjs') && f.includes(only))) {
  const run = spawnSync(process.execPath, ['--test', '--test-reporter=tap', join(root, 'tests', 'py', file)], {
    cwd: root,
    encoding: 'utf8',
  });
  const count = (name) => Number(new RegExp(`^# ${name} (\\d+)`, 'm').exec(run.stdout)?.[1] ?? 0);
  const [passed, failed] = [count('pass'), count('fail') + (run.status !== 0 && count('fail') === 0 ? 1 : 0)];
  results.passed += passed;
  results.failed += failed;
  results.tests.push({
    name: file,
    status: failed ? 'failed' : 'passed',
    detail: failed ? run.stdout + run.stderr : '',
  });
  console.log(
    `${failed ? 'FAIL' : 'ok  '}  ${file}: ${passed} passed, ${failed} failed${failed ? '\n' + run.stdout + run.stderr : ''}`,
  );
}

const out = join(root, 'build', 'test-results', 'py.json');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify(results, null, 2));
const seconds = ((Date.now() - started) / 1000).toFixed(1);
console.log(`\npython: ${results.passed} passed, ${results.failed} failed, ${results.skipped} skipped in ${seconds} s`);
process.exit(results.failed > 0 || results.passed === 0 ? 1 : 0);
