// `npm run bench [-- --json FILE] [--runtime native|native-portable|wasm-node|chromium|greedy|quality|speed|speed-chromium|cli|app]`: runs every
// benchmark and merges their records into one JSON array, so one file holds the whole table.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setup } from './setup.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function option(name) {
  const index = process.argv.indexOf(name);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

// Which npm script produces the records of which runtime.
const BENCHES = [
  { script: 'bench:native', runtimes: ['native'] },
  // The same core built for the x86-64 baseline: what -march=native buys on this machine.
  { script: 'bench:native-portable', runtimes: ['native-portable'] },
  { script: 'bench:wasm', runtimes: ['wasm-node', 'chromium'] },
  { script: 'bench:greedy', runtimes: ['greedy'] },
  { script: 'bench:quality', runtimes: ['quality'] },
  // Time to N shapes (the vectorize pipeline) beside geometrize, in Node and in the app in Chromium.
  { script: 'bench:speed', runtimes: ['speed'] },
  { script: 'bench:speed', runtimes: ['speed-chromium'], args: ['--host', 'chromium'] },
  { script: 'bench:cli', runtimes: ['cli'] },
  { script: 'bench:app', runtimes: ['app'] },
];

const output = resolve(option('--json') ?? join(root, 'build', 'bench', 'results.json'));
const runtime = option('--runtime');
if (runtime && !BENCHES.some((bench) => bench.runtimes.includes(runtime))) {
  console.error(`[bench] unknown --runtime '${runtime}'; known: ${BENCHES.flatMap((b) => b.runtimes).join(', ')}`);
  process.exit(2);
}

setup();
const partsDir = join(root, 'build', 'bench', 'parts');
mkdirSync(partsDir, { recursive: true });
const records = [];
let failed = false;
for (const bench of BENCHES) {
  if (runtime && !bench.runtimes.includes(runtime)) continue;
  const part = join(partsDir, `${bench.args ? bench.runtimes[0] : bench.script.replace(':', '-')}.json`);
  rmSync(part, { force: true });
  const args = ['run', '--silent', bench.script, '--', '--json', part];
  if (runtime) args.push('--runtime', runtime);
  if (bench.args) args.push(...bench.args);
  const run = spawnSync('npm', args, { cwd: root, stdio: 'inherit' });
  if (run.status !== 0 || !existsSync(part)) {
    console.error(`[bench] ${bench.script} failed (exit code ${run.status})`);
    failed = true;
    continue;
  }
  records.push(...JSON.parse(readFileSync(part, 'utf8')));
}
mkdirSync(dirname(output), { recursive: true });
writeFileSync(output, JSON.stringify(records, null, 2) + '\n');
console.log(`[bench] ${records.length} records written to ${output}`);
process.exit(failed ? 1 : 0);
