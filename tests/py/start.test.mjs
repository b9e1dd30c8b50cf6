// `npm start`'s port: `--port N`, else $PORT, else 5173, and a clear one-line refusal when the
// chosen port is taken (before any build). Real processes, real sockets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const start = join(root, 'scripts', 'start.mjs');

async function occupiedPort() {
  const server = createServer();
  await new Promise((done) => server.listen({ host: '127.0.0.1', port: 0 }, done));
  return { server, port: server.address().port };
}

async function freePort() {
  const { server, port } = await occupiedPort();
  await new Promise((done) => server.close(done));
  return port;
}

function runStart(args, env = {}) {
  // The timeout only bounds a regression (a start that goes on to build and serve elsewhere).
  const run = spawnSync(process.execPath, [start, ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, ...env },
  });
  return { code: run.status, out: run.stdout, err: run.stderr };
}

test('npm start -- --port N refuses a taken port in one line', async () => {
  const { server, port } = await occupiedPort();
  try {
    const run = runStart(['--port', String(port)], { PORT: '' });
    assert.equal(run.code, 1, run.out + run.err);
    assert.equal(run.err.trim().split('\n').length, 1, run.err);
    assert.match(run.err, new RegExp(`port ${port} on 127\\.0\\.0\\.1 is already in use`));
  } finally {
    server.close();
  }
});

test('npm start honours PORT', async () => {
  const { server, port } = await occupiedPort();
  try {
    const run = runStart([], { PORT: String(port) });
    assert.equal(run.code, 1, run.out + run.err);
    assert.match(run.err, new RegExp(`port ${port} .*already in use`));
  } finally {
    server.close();
  }
});

test('a port that is not a number is named', () => {
  const run = runStart(['--port', 'eighty'], { PORT: '' });
  assert.equal(run.code, 1);
  assert.match(run.err, /--port "eighty" is not a port number/);
  const env = runStart([], { PORT: '70000' });
  assert.equal(env.code, 1);
  assert.match(env.err, /PORT "70000" is not a port number/);
});

test("Vite's servers listen on $PORT (vite.config.ts)", async () => {
  const port = await freePort();
  const empty = mkdtempSync(join(tmpdir(), 'pelican-port-'));
  writeFileSync(join(empty, 'index.html'), '<!doctype html><title>port test</title>');
  const vite = spawn(join(root, 'node_modules', '.bin', 'vite'), ['preview', '--outDir', empty], {
    cwd: root,
    env: { ...process.env, PORT: String(port) },
    stdio: 'ignore',
  });
  try {
    let answered = null;
    for (let i = 0; i < 300 && !answered; i++) {
      answered = await fetch(`http://127.0.0.1:${port}/`).catch(() => null);
      if (!answered) await new Promise((done) => setTimeout(done, 100));
    }
    assert.ok(answered, `nothing answered on port ${port}`);
    assert.equal(answered.status, 200);
    // Our config's server (not some other one that happened to be there): it sends our headers.
    assert.equal(answered.headers.get('cross-origin-opener-policy'), 'same-origin');
    assert.match(await answered.text(), /port test/);
  } finally {
    vite.kill('SIGTERM');
    rmSync(empty, { recursive: true, force: true });
  }
});
