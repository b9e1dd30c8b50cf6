// The CLI as a user runs it: a real `node py/host/cli.mjs` process, real paths on the host's
// file system (absolute and relative), exit statuses. (test_cli.py covers the commands' logic.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = join(root, 'py', 'host', 'cli.mjs');
const targets = resolve(process.env.PELICAN_TARGETS ?? join(root, '..', 'shared', 'targets'));

function pelican(args, cwd) {
  const run = spawnSync(process.execPath, [cli, ...args], { cwd, encoding: 'utf8', timeout: 120_000 });
  return { code: run.status, out: run.stdout, err: run.stderr };
}

test('optimize reads an absolute target path and writes relative to the working directory', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pelican-cli-'));
  try {
    const { code, out, err } = pelican(['optimize', '--target', join(targets, 'pelican-engraving-64.pgm'), '--resolution', '64', '--steps', '40', '--save-every', '0'], dir);
    assert.equal(code, 0, err);
    assert.match(out, /final loss \d/);
    const metrics = JSON.parse(readFileSync(join(dir, 'out', 'optimize', 'metrics.json'), 'utf8'));
    assert.equal(metrics.steps_completed, 40);
    assert.ok(existsSync(join(dir, 'out', 'optimize', 'pelican_optimized.svg')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a missing file and a bad option exit non-zero with one clear line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pelican-cli-'));
  try {
    const missing = pelican(['optimize', '--target', 'nowhere.png'], dir);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /target 'nowhere.png' does not exist/);
    const bad = pelican(['greedy-refine', '--target', 'x.png', '--proposal', 'clever'], dir);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /invalid choice: 'clever'/);
    const none = pelican([], dir);
    assert.equal(none.code, 1);
    assert.match(none.out, /test-render/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
