// The Python snapshot the page resumes (py/host/make-snapshot.mjs, py/host/snapshot-resume.mjs),
// made and resumed for real under Node. The browser side (the worker, the fallback, the resumed
// state against a fresh start) is e2e/python-start.spec.ts.
process.env.TZ = 'America/New_York'; // not the UTC the snapshot is made in: thaw must notice

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { currentSnapshotName, ensureSnapshot, snapshotSources } from '../../py/host/make-snapshot.mjs';
import {
  packSnapshot,
  resumeFromSnapshot,
  snapshotFileName,
  snapshotKey,
  snapshotLength,
  unpackSnapshot,
} from '../../py/host/snapshot-resume.mjs';

test('packing drops zero pages and unpacking restores every byte', () => {
  const snapshot = new Uint8Array(4096 * 5 + 100);
  snapshot[3] = 1; // page 0
  snapshot[4096 * 2 + 7] = 2; // page 2; pages 1 and 3 stay zero
  snapshot[snapshot.length - 1] = 3; // the short last page
  const file = packSnapshot(snapshot);
  assert.ok(file.length < snapshot.length - 2 * 4096, `packed ${file.length} bytes`);
  assert.equal(snapshotLength(file), snapshot.length);
  assert.deepEqual(unpackSnapshot(file), snapshot);
  const into = new Uint8Array(snapshot.length);
  assert.equal(unpackSnapshot(file, into), into);
  assert.deepEqual(into, snapshot);

  assert.throws(() => unpackSnapshot(file.subarray(0, file.length - 1)), /truncated/);
  assert.throws(() => unpackSnapshot(new Uint8Array([...file, 0])), /trailing bytes/);
  assert.throws(() => unpackSnapshot(file, new Uint8Array(10)), /holds \d+ bytes, not 10/);
  assert.throws(() => snapshotLength(new Uint8Array(64)), /not a pelican snapshot file/);
});

test('the name changes with any source, its path or the Pyodide version, not with their order', () => {
  const files = [
    ['pelican/a.py', 'x = 1\n'],
    ['pelican/b.py', 'y = 2\n'],
  ];
  const key = snapshotKey('1.0', files);
  assert.match(snapshotFileName(key), /^pelican-[0-9a-f]{16}\.snapshot\.bin$/);
  assert.equal(snapshotKey('1.0', [...files].reverse()), key);
  assert.notEqual(snapshotKey('1.0', [['pelican/a.py', 'x = 2\n'], files[1]]), key);
  assert.notEqual(snapshotKey('1.0', [['pelican/c.py', 'x = 1\n'], files[1]]), key);
  assert.notEqual(snapshotKey('1.1', files), key);
  // Lengths go in with the strings: moving text across a boundary is another name.
  assert.notEqual(
    snapshotKey('1.0', [
      ['pelican/a.py', 'x = 1\ny'],
      ['pelican/b.py', ' = 2\n'],
    ]),
    key,
  );
  const sources = snapshotSources();
  assert.ok(sources.some(([path]) => path === 'pelican/greedy.py'));
  assert.ok(sources.some(([path]) => path === 'pelican_thaw.py'));
});

test("a made snapshot resumes with pelican imported and this visit's random seed, LANG and time zone", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pelican-snapshot-'));
  try {
    const stale = join(dir, 'pelican-0123456789abcdef.snapshot.bin');
    writeFileSync(stale, 'an older build');
    const path = await ensureSnapshot(dir);
    assert.equal(basename(path), currentSnapshotName());
    assert.ok(!existsSync(stale), 'older snapshots beside it are removed');
    const made = statSync(path).mtimeMs;
    assert.equal(await ensureSnapshot(dir), path);
    assert.equal(statSync(path).mtimeMs, made, 'an existing snapshot is not made again');

    const file = new Uint8Array(readFileSync(path));
    const pyodideModule = await import('pyodide');
    const { default: createPyodideModule } = await import('pyodide/pyodide.asm.mjs');
    const resume = async () => {
      const pyodide = await resumeFromSnapshot(
        pyodideModule,
        createPyodideModule,
        { length: Promise.resolve(snapshotLength(file)), file: Promise.resolve(file) },
        { packages: [] },
        'de_DE.UTF-8',
      );
      return JSON.parse(
        pyodide.runPython(`
import json, os, random, sys, time
json.dumps(dict(
    preloaded=sorted(m for m in sys.modules if m == 'pelican' or m.startswith('pelican.')),
    lang=os.environ['LANG'], random=random.random(),
    tz=[time.timezone, time.altzone, time.daylight, list(time.tzname)],
    path=sys.path[:2], executable=sys.executable))
`),
      );
    };
    const first = await resume();
    const second = await resume();
    for (const module of ['pelican', 'pelican.engine', 'pelican.greedy', 'pelican.llm.refine', 'pelican.svg']) {
      assert.ok(first.preloaded.includes(module), `${module} is imported in the snapshot`);
    }
    assert.equal(first.lang, 'de_DE.UTF-8');
    assert.deepEqual(first.tz, [18000, 14400, 1, ['UTC-0500', 'UTC-0400']], 'New York, not the UTC it was made in');
    assert.deepEqual(first.path, ['', '/home/pyodide']);
    assert.equal(first.executable, '/home/pyodide/this.program', "a browser's, not this script's");
    assert.notEqual(first.random, second.random, 'each resume draws its own random numbers');

    await assert.rejects(
      resumeFromSnapshot(
        pyodideModule,
        createPyodideModule,
        { length: Promise.resolve(null), file: Promise.resolve(null) },
        { packages: [] },
        'C.UTF-8',
      ),
      /no Python snapshot/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
