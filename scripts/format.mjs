// `npm run format` rewrites every tracked source file in its language's formatter: clang-format
// for C++, Prettier for TypeScript and JavaScript, Black for Python. `--check` rewrites nothing:
// it lists the files that differ and records one test per file (build/test-results/format.json),
// which is how `npm test` keeps the tree formatted. The settings live beside the code:
// .clang-format, .prettierrc.json, pyproject.toml.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const check = process.argv.includes('--check');

const FORMATTERS = [
  {
    name: 'clang-format',
    files: /\.(h|cpp)$/,
    write: (files) => ['clang-format', ['-i', ...files]],
    // --dry-run -Werror exits non-zero and names each file that would change.
    check: (files) => ['clang-format', ['--dry-run', '-Werror', ...files]],
    differing: (output) => [...output.matchAll(/^(\S+?):\d+:\d+: (?:error|warning)/gm)].map((m) => m[1]),
  },
  {
    name: 'prettier',
    files: /\.(ts|mts|mjs|js)$/,
    write: (files) => [
      process.execPath,
      [join(root, 'node_modules', 'prettier', 'bin', 'prettier.cjs'), '--log-level', 'warn', '--write', ...files],
    ],
    check: (files) => [
      process.execPath,
      [join(root, 'node_modules', 'prettier', 'bin', 'prettier.cjs'), '--list-different', ...files],
    ],
    differing: (output) =>
      output
        .split('\n')
        .map((line) => line.trim())
        .filter((line) => line && !line.startsWith('[')),
  },
  {
    name: 'black',
    files: /\.pyi?$/,
    write: (files) => ['black', ['--quiet', ...files]],
    check: (files) => ['black', ['--check', ...files]],
    differing: (output) => [...output.matchAll(/^would reformat (.+)$/gm)].map((m) => m[1].trim()),
  },
];

function trackedFiles() {
  const listed = spawnSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8' });
  if (listed.status !== 0) throw new Error(`git ls-files failed: ${listed.stderr.trim()}`);
  // Files vendored from elsewhere keep their own style.
  return listed.stdout.split('\0').filter((path) => path && !path.startsWith('node_modules/'));
}

function run([command, args]) {
  const result = spawnSync(command, args, { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (result.error) {
    const hint =
      result.error.code === 'ENOENT' ? ` (${command} is not installed: run npm start or npm test once to set up)` : '';
    throw new Error(`${command}: ${result.error.message}${hint}`);
  }
  return result;
}

function main() {
  const files = trackedFiles();
  let checked = 0;
  const wrong = [];
  for (const formatter of FORMATTERS) {
    const mine = files.filter((path) => formatter.files.test(path));
    if (mine.length === 0) continue;
    if (!check) {
      const result = run(formatter.write(mine));
      if (result.status !== 0) throw new Error(`${formatter.name} failed:\n${result.stderr || result.stdout}`);
      console.log(`[format] ${formatter.name}: ${mine.length} files`);
      continue;
    }
    const result = run(formatter.check(mine));
    const differing = [...new Set(formatter.differing(`${result.stdout}\n${result.stderr}`))];
    if (result.status !== 0 && differing.length === 0)
      throw new Error(`${formatter.name} failed:\n${result.stderr || result.stdout}`);
    checked += mine.length;
    for (const path of differing) wrong.push(`${path} (${formatter.name})`);
  }
  if (!check) return;
  for (const line of wrong) console.log(`[format] not formatted: ${line}`);
  console.log(
    `[format] ${checked - wrong.length} of ${checked} files formatted${wrong.length ? '; run npm run format' : ''}`,
  );
  mkdirSync(join(root, 'build', 'test-results'), { recursive: true });
  writeFileSync(
    join(root, 'build', 'test-results', 'format.json'),
    JSON.stringify({ passed: checked - wrong.length, failed: wrong.length, skipped: 0 }) + '\n',
  );
  process.exit(wrong.length ? 1 : 0);
}

try {
  main();
} catch (error) {
  console.error(`[format] ${error.message}`);
  process.exit(1);
}
