// Brings a fresh Debian 12 machine to the point where the app can be built, served and tested,
// and does nothing that is already done, so a second run takes seconds.
// Only apt and npm are used: this project never downloads toolchains or browsers itself.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

// Each Debian package with the file that proves it is installed (dpkg -s is slower per call).
const APT_PACKAGES = [
  ['emscripten', '/usr/bin/emcc'],
  ['chromium', '/usr/bin/chromium'],
  ['cmake', '/usr/bin/cmake'],
  ['g++', '/usr/bin/g++'],
  ['make', '/usr/bin/make'],
  ['libgtest-dev', '/usr/include/gtest/gtest.h'],
  // The formatters npm run format uses for C++ and Python (Prettier comes from npm).
  ['clang-format', '/usr/bin/clang-format'],
  ['black', '/usr/bin/black'],
];

function step(message) {
  process.stdout.write(`[setup] ${message}\n`);
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', ...options });
  if (result.status !== 0) {
    throw new Error(`'${command} ${args.join(' ')}' failed with exit code ${result.status}`);
  }
}

function ensureAptPackages() {
  const missing = APT_PACKAGES.filter(([, proof]) => !existsSync(proof)).map(([name]) => name);
  if (missing.length === 0) return;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot) {
    console.error(
      `[setup] Missing Debian packages: ${missing.join(', ')}.\n` +
        `[setup] Installing them needs root. Run:\n\n` +
        `  sudo apt-get update && sudo apt-get install -y ${missing.join(' ')}\n\n` +
        `[setup] then run this command again.`,
    );
    process.exit(1);
  }
  step(`installing Debian packages: ${missing.join(' ')}`);
  run('apt-get', ['update', '-qq']);
  run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}

// npm ci only when the lock file changed since the last install we did.
function ensureNpmDependencies() {
  const lock = readFileSync(join(root, 'package-lock.json'));
  const digest = createHash('sha256').update(lock).digest('hex');
  const stamp = join(root, 'node_modules', '.pelican-lock-sha256');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === digest) return;
  step('installing npm dependencies from package-lock.json');
  run('npm', ['ci', '--no-audit', '--no-fund']);
  writeFileSync(stamp, digest);
}

function buildEngine() {
  // Both scripts skip their work when their outputs are newer than their inputs.
  run('npm', ['run', '--silent', 'build:wasm']);
  run('npm', ['run', '--silent', 'build:workers']);
}

export function setup() {
  const started = Date.now();
  ensureAptPackages();
  ensureNpmDependencies();
  buildEngine();
  step(`ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    setup();
  } catch (error) {
    console.error(`[setup] ${error.message}`);
    process.exit(1);
  }
}
