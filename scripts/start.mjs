// `npm start`: make sure everything is installed and built, build the app (a second or two, plus
// ~5 s whenever the Python sources changed: the Pyodide snapshot), then serve that production
// build with the cross-origin isolation headers (vite.config.ts sets them) that
// SharedArrayBuffer needs. A user gets the fast app; `npm run dev` is the hot-reloading one.
// The port: `npm start -- --port N`, else $PORT, else 5173; a taken one is reported before any work.
import { spawn, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chosenPort, ensurePortFree } from './port.mjs';
import { setup } from './setup.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const HOST = '127.0.0.1';

let PORT;
try {
  PORT = chosenPort();
  await ensurePortFree(HOST, PORT);
  setup();
} catch (error) {
  console.error(`[start] ${error.message}`);
  process.exit(1);
}
const viteBin = join(root, 'node_modules', '.bin', 'vite');
console.log('[start] building the app');
const build = spawnSync(viteBin, ['build', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) {
  console.error('[start] the app did not build (the messages above say why)');
  process.exit(1);
}
console.log(`[start] serving pelican at http://${HOST}:${PORT}/`);
const vite = spawn(viteBin, ['preview', '--host', HOST, '--port', String(PORT), '--strictPort'], {
  cwd: root,
  stdio: 'inherit',
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => vite.kill(signal));
vite.on('exit', (code) => process.exit(code ?? 0));
