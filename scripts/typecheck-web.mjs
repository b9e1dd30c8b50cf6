// `npm run test:types`: the page type-checked in strict mode (tsc --noEmit -p web/tsconfig.json).
// Prints tsc's diagnostics and writes the report scripts/test-all.mjs sums: one check, failed
// once per error found.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const report = join(root, 'build', 'test-results', 'web-types.json');
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
const run = spawnSync(process.execPath, [tsc, '--noEmit', '--pretty', 'false', '-p', 'web/tsconfig.json'], {
  cwd: root,
  encoding: 'utf8',
});
const output = `${run.stdout ?? ''}${run.stderr ?? ''}`;
process.stdout.write(output);
const errors = (output.match(/error TS\d+/g) ?? []).length;
// A non-zero exit without a counted error (tsc itself failed) still fails the check.
const failed = run.status === 0 ? 0 : Math.max(1, errors);
mkdirSync(dirname(report), { recursive: true });
writeFileSync(report, JSON.stringify({ passed: failed ? 0 : 1, failed, skipped: 0 }));
console.log(failed ? `web types: ${failed} error(s)` : 'web types: no error (strict)');
process.exit(failed ? 1 : 0);
