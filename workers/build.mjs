// `npm run build:workers`: compiles workers/*.ts to build/workers/ for Node (the browser gets the
// .ts through Vite). Skips tsc when every output is newer than every input.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const outDir = join(root, 'build', 'workers');
const stamp = join(outDir, '.built');

const inputs = [
  ...readdirSync(here)
    .filter((name) => name.endsWith('.ts') || name === 'tsconfig.json')
    .map((name) => join(here, name)),
  fileURLToPath(import.meta.url),
];
const newestInput = Math.max(...inputs.map((path) => statSync(path).mtimeMs));
if (existsSync(stamp) && statSync(stamp).mtimeMs > newestInput) {
  console.log('[build:workers] up to date');
  process.exit(0);
}
mkdirSync(outDir, { recursive: true });
const started = Date.now();
const tsc = spawnSync(
  process.execPath,
  [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(here, 'tsconfig.json')],
  {
    cwd: root,
    stdio: 'inherit',
  },
);
if (tsc.status !== 0) {
  console.error('[build:workers] tsc failed');
  process.exit(1);
}
// The emitted declarations refer to the hand-written module declaration; ship it alongside.
copyFileSync(join(here, 'pelican-wasm.d.ts'), join(outDir, 'pelican-wasm.d.ts'));
writeFileSync(stamp, new Date().toISOString() + '\n');
console.log(`[build:workers] build/workers/ in ${((Date.now() - started) / 1000).toFixed(1)} s`);
