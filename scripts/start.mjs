// `npm start`: make sure everything is installed and built, then serve the app with the
// cross-origin isolation headers (vite.config.ts sets them) that SharedArrayBuffer needs.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setup } from './setup.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const HOST = '127.0.0.1';
const PORT = 5173;

try {
  setup();
} catch (error) {
  console.error(`[start] ${error.message}`);
  process.exit(1);
}
console.log(`[start] serving pelican at http://${HOST}:${PORT}/`);
const vite = spawn(join(root, 'node_modules', '.bin', 'vite'), ['--host', HOST, '--port', String(PORT), '--strictPort'], {
  cwd: root,
  stdio: 'inherit',
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => vite.kill(signal));
vite.on('exit', (code) => process.exit(code ?? 0));
