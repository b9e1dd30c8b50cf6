// The CLI as a user runs it: a real `node py/host/cli.mjs` process, real paths on the host's
// file system (absolute and relative), exit statuses. (test_cli.py covers the commands' logic.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';
import { decodeImage } from '../../py/host/decode-image.mjs';
import { currentSnapshotName } from '../../py/host/make-snapshot.mjs';
import { startFakeLlm } from '../fake-llm.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = join(root, 'py', 'host', 'cli.mjs');
const targets = resolve(process.env.PELICAN_TARGETS ?? join(root, '..', 'shared', 'targets'));

function pelican(args, cwd, env = {}) {
  const run = spawnSync(process.execPath, [cli, ...args], {
    cwd,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, ...env },
  });
  return { code: run.status, out: run.stdout, err: run.stderr };
}

/** pelican() without blocking this process's event loop (a server here must answer the CLI). */
function pelicanAsync(args, cwd, env = {}) {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd, env: { ...process.env, ...env } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => child.kill(), 120_000);
    child.on('error', fail);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, out, err });
    });
  });
}

/** As a user types it: `npm run pelican -- …` from their own directory (npm moves to the root). */
function npmPelican(args, cwd) {
  const run = spawnSync('npm', ['--prefix', root, 'run', '--silent', 'pelican', '--', ...args], {
    cwd,
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: run.status, out: run.stdout, err: run.stderr };
}

function withDir(fn) {
  const dir = mkdtempSync(join(tmpdir(), 'pelican-cli-'));
  try {
    return fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47];
function assertPng(path) {
  assert.ok(existsSync(path), `${path} is not on disk`);
  assert.deepEqual([...readFileSync(path).subarray(0, 4)], PNG_SIGNATURE, path);
}

test('optimize reads an absolute target path and writes relative to the working directory', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pelican-cli-'));
  try {
    const { code, out, err } = pelican(
      [
        'optimize',
        '--target',
        join(targets, 'pelican-engraving-64.pgm'),
        '--resolution',
        '64',
        '--steps',
        '40',
        '--save-every',
        '0',
      ],
      dir,
    );
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

test('an absolute --output-dir is written on the real disk', () =>
  withDir((dir) => {
    const out = join(dir, 'deep', 'er');
    const run = pelican(['test-render', '--output-dir', out, '--resolution', '32'], tmpdir());
    assert.equal(run.code, 0, run.err);
    assertPng(join(out, 'pelican_test.png'));
    assert.match(readFileSync(join(out, 'pelican_test.svg'), 'utf8'), /^<svg/);
    assert.match(run.out, new RegExp(`wrote ${out}/pelican_test.png`));
  }));

test("relative paths resolve against the user's directory, also through npm run", () =>
  withDir((dir) => {
    const here = join(dir, 'work');
    mkdirSync(here);
    writeFileSync(
      join(here, 'scene.json'),
      JSON.stringify({
        format: 'pelican-scene',
        version: 1,
        width: 32,
        height: 32,
        shapes: [{ name: 'sun', type: 'circle', cx: 0.5, cy: 0.5, r: 0.2, intensity: 0.2 }],
      }),
    );
    const run = npmPelican(['render', '--scene', 'scene.json', '--output', 'out/sun.png'], here);
    assert.equal(run.code, 0, run.err);
    assertPng(join(here, 'out', 'sun.png'));
    assert.ok(!existsSync(join(root, 'out', 'sun.png')), 'nothing is written in the project instead');
    const direct = pelican(['render', '--scene', 'scene.json', '--output', 'sun.svg'], here, { INIT_CWD: root });
    assert.equal(direct.code, 0, direct.err);
    assert.ok(existsSync(join(here, 'sun.svg')), 'an inherited INIT_CWD does not move a direct run');
  }));

test('files reached through symbolic links are read and written', () =>
  withDir((dir) => {
    symlinkSync(join(targets, 'pelican-engraving-64.pgm'), join(dir, 'target.pgm'));
    mkdirSync(join(dir, 'real'));
    symlinkSync(join(dir, 'real'), join(dir, 'linked'));
    const run = pelican(
      [
        'optimize',
        '--target',
        'target.pgm',
        '--resolution',
        '32',
        '--steps',
        '3',
        '--save-every',
        '0',
        '--output-dir',
        'linked/run',
      ],
      dir,
    );
    assert.equal(run.code, 0, run.err);
    assert.equal(JSON.parse(readFileSync(join(dir, 'real', 'run', 'metrics.json'), 'utf8')).steps_completed, 3);
  }));

test('an unwritable place, /dev/null and a directory are refused by their own names', () =>
  withDir((dir) => {
    // Root writes anywhere it may; /proc takes no new directories even from root.
    let locked = '/proc/pelican-cli-test';
    if (process.getuid?.() !== 0) {
      locked = join(dir, 'locked');
      mkdirSync(locked);
      chmodSync(locked, 0o555);
    }
    const out = join(locked, 'run');
    const unwritable = pelican(['test-render', '--output-dir', out], dir);
    assert.equal(unwritable.code, 1, unwritable.out);
    assert.match(unwritable.err, new RegExp(`cannot create the directory '${out}'`));
    assert.doesNotMatch(unwritable.out, /wrote/);
    assert.equal(unwritable.err.trim().split('\n').length, 1, unwritable.err);

    const scene = pelican(['eval', '--scene', '/dev/null', '--target', join(targets, 'pelican-engraving-64.pgm')], dir);
    assert.equal(scene.code, 1);
    assert.match(scene.err, /^error: scene '\/dev\/null' is empty$/m);
    assert.doesNotMatch(scene.err, /\/host|\/cwd|pelican-src/);

    const intoFile = pelican(['test-render', '--output-dir', '/dev/null/run'], dir);
    assert.equal(intoFile.code, 1);
    assert.match(intoFile.err, /cannot create the directory '\/dev\/null\/run': part of that path is not a directory/);

    const target = pelican(['optimize', '--target', dir], dir);
    assert.equal(target.code, 1);
    assert.match(target.err, new RegExp(`target '${dir}' is a directory`));
  }));

test('a PNG bomb and broken images get one line naming the file, not a traceback', () =>
  withDir((dir) => {
    // 60000×60000 claimed by a 300-byte file: refused from its header.
    const ihdr = Buffer.alloc(13);
    ihdr.writeUInt32BE(60000, 0);
    ihdr.writeUInt32BE(60000, 4);
    ihdr[8] = 8;
    const chunk = (kind, body) => {
      const len = Buffer.alloc(4);
      len.writeUInt32BE(body.length);
      return Buffer.concat([len, Buffer.from(kind), body, Buffer.alloc(4)]);
    };
    const bomb = Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      chunk('IHDR', ihdr),
      chunk('IDAT', Buffer.alloc(256)),
      chunk('IEND', Buffer.alloc(0)),
    ]);
    writeFileSync(join(dir, 'bomb.png'), bomb);
    writeFileSync(join(dir, 'half.png'), bomb.subarray(0, 20));
    for (const [name, reason] of [
      ['bomb.png', /bomb\.png: 60000x60000 \(3600 megapixels\) is larger than/],
      ['half.png', /half\.png: corrupt PNG/],
    ]) {
      const run = pelican(['optimize', '--target', name], dir);
      assert.equal(run.code, 1, run.out + run.err);
      assert.match(run.err, reason);
      assert.equal(run.err.trim().split('\n').length, 1, run.err);
      assert.doesNotMatch(run.err, /Traceback|MemoryError/);
    }
  }));

test('vectorize: a colour JPEG to SVG with one JSON line, to PNG, and a bad output name refused', () => {
  withDir((dir) => {
    const photo = join(targets, 'dev', 'flower.jpg');
    const svg = pelican(
      ['vectorize', '--target', photo, '--output', 'flower.svg', '--shapes', '8', '--resolution', '48', '--json'],
      dir,
    );
    assert.equal(svg.code, 0, svg.err);
    const lines = svg.out.trim().split('\n');
    assert.equal(lines.length, 1, svg.out);
    const report = JSON.parse(lines[0]);
    assert.deepEqual(Object.keys(report).sort(), ['mse', 'psnr', 'seconds', 'shapes']);
    assert.equal(report.shapes, 8);
    assert.ok(report.psnr > 10 && Math.abs(report.psnr + 10 * Math.log10(report.mse)) < 1e-9, lines[0]);
    const text = readFileSync(join(dir, 'flower.svg'), 'utf8');
    assert.match(text, /viewBox="0 0 48 32"/);
    // Colour, not gray: some fill has channels that differ.
    const fills = [...text.matchAll(/fill="#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})"/g)];
    assert.ok(
      fills.some(([, r, , b]) => r !== b),
      'no colour fill in the SVG',
    );

    const png = pelican(
      [
        'vectorize',
        '--target',
        photo,
        '--output',
        join(dir, 'sub', 'flower.png'),
        '--shapes',
        '5',
        '--resolution',
        '40',
        '--gray',
      ],
      dir,
    );
    assert.equal(png.code, 0, png.err);
    assert.match(png.out, /wrote .*flower\.png \(5 shapes/);
    assertPng(join(dir, 'sub', 'flower.png'));

    const bad = pelican(['vectorize', '--target', photo, '--output', 'flower.gif', '--shapes', '5'], dir);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /--output 'flower.gif': the name must end in \.svg, \.png or \.json/);
    assert.ok(!existsSync(join(dir, 'flower.gif')));
  });
});

/** A PNG as the CLI wrote it: size, IHDR colour type, planes in [0, 1] (samples / 255). */
function readPng(path) {
  const bytes = readFileSync(path);
  const image = PNG.sync.read(bytes);
  const n = image.width * image.height;
  const planes = [0, 1, 2].map((c) => Float64Array.from({ length: n }, (_, i) => image.data[4 * i + c] / 255));
  return { width: image.width, height: image.height, colourType: bytes[25], planes };
}

/** The target as the CLI sees it: the host's own decoder, fitted to the working size. */
function fittedTarget(path, longest) {
  return decodeImage(new Uint8Array(readFileSync(path)), { longest }, { PNG, jpeg });
}

const differ = (planes) => planes[0].some((v, i) => v !== planes[1][i] || v !== planes[2][i]);

test('vectorize, render and eval round trip on a colour picture, through its SVG and its JSON', () =>
  withDir((dir) => {
    const photo = join(targets, 'dev', 'flower.jpg');
    for (const kind of ['svg', 'json']) {
      const file = `flower.${kind}`;
      const made = pelican(
        ['vectorize', '--target', photo, '--output', file, '--shapes', '6', '--resolution', '48', '--json'],
        dir,
      );
      assert.equal(made.code, 0, made.err);
      const report = JSON.parse(made.out);

      const render = pelican(['render', '--scene', file, '--output', `${kind}.png`], dir);
      assert.equal(render.code, 0, render.err);
      const png = readPng(join(dir, `${kind}.png`));
      assert.deepEqual([png.width, png.height, png.colourType], [48, 32, 2], `${kind}: an RGB PNG at the scene's size`);
      assert.ok(differ(png.planes), `${kind}: the render has colour`);

      // Scored at the polish softness (VectorizeOptions.polish_tau_px, 0.2 px), the exported
      // scene is what --json reported (both against the target as the engine holds it: resized
      // and clamped to [0, 1]; unclamped, the cubic's overshoot had them 0.2 % apart).
      const scored = pelican(['eval', '--scene', file, '--target', photo, '--tau', String(0.2 / 48)], dir);
      assert.equal(scored.code, 0, scored.err);
      const ev = JSON.parse(scored.out);
      assert.ok(
        Math.abs(ev.breakdown.mse - report.mse) <= 1e-5 * report.mse,
        `${kind}: ${ev.breakdown.mse} vs ${report.mse}`,
      );
      assert.equal(ev.gradients.length, 6);
      // Paint (three channels), opacity, then the geometry of each shape; the canvas's channels.
      for (const g of ev.gradients) assert.ok(g.length >= 3 + 1 + 3 && g.every(Number.isFinite), JSON.stringify(g));
      assert.equal(ev.background_gradients.length, 3);
    }

    // The original's gray scene is rendered and scored as before: a gray PNG, gradients intensity first.
    const gray = {
      format: 'pelican-scene',
      version: 1,
      width: 48,
      height: 32,
      shapes: [{ name: 'sun', type: 'circle', cx: 0.5, cy: 0.3, r: 0.2, intensity: 0.2 }],
    };
    writeFileSync(join(dir, 'gray.json'), JSON.stringify(gray));
    assert.equal(pelican(['render', '--scene', 'gray.json', '--output', 'gray.png'], dir).code, 0);
    assert.equal(readPng(join(dir, 'gray.png')).colourType, 0);
    const scored = pelican(['eval', '--scene', 'gray.json', '--target', photo], dir);
    assert.equal(scored.code, 0, scored.err);
    const ev = JSON.parse(scored.out);
    assert.deepEqual(
      ev.gradients.map((g) => g.length),
      [4],
    );
    assert.ok(!('background_gradients' in ev));
  }));

test('vectorize --json scores the PNG as written (its 8-bit samples), in colour and in gray', () =>
  withDir((dir) => {
    const photo = join(targets, 'dev', 'flower.jpg');
    const target = fittedTarget(photo, 40);
    for (const gray of [false, true]) {
      const run = pelican(
        ['vectorize', '--target', photo, '--output', 'out.png', '--shapes', '5', '--resolution', '40', '--json'].concat(
          gray ? ['--gray'] : [],
        ),
        dir,
      );
      assert.equal(run.code, 0, run.err);
      const report = JSON.parse(run.out);
      const png = readPng(join(dir, 'out.png'));
      assert.deepEqual([png.width, png.height], [target.width, target.height]);
      assert.equal(png.colourType, gray ? 0 : 2, 'a gray run writes a gray PNG');
      const n = target.width * target.height;
      const plane = (c) => target.pixels.subarray(c * n, (c + 1) * n);
      const want = gray
        ? [Float64Array.from(plane(0), (r, i) => Math.fround(0.299 * r + 0.587 * plane(1)[i] + 0.114 * plane(2)[i]))]
        : [plane(0), plane(1), plane(2)];
      let sum = 0;
      want.forEach((values, c) => values.forEach((v, i) => (sum += (png.planes[c][i] - v) ** 2)));
      const mse = sum / (want.length * n);
      assert.ok(Math.abs(report.mse - mse) <= 1e-5 * mse, `printed ${report.mse}, the file's ${mse}`);
    }
  }));

test('refine exits 1 when every round failed: the provider answers only errors', async () => {
  const llm = await startFakeLlm();
  const dir = mkdtempSync(join(tmpdir(), 'pelican-cli-'));
  try {
    llm.script({ queue: [], default: { status: 400, body: { error: { message: 'model not found' } } } });
    const args = ['refine', '--target', join(targets, 'pelican-engraving-64.pgm'), '--resolution', '32'];
    const provider = ['--provider', 'openai', '--base-url', `${llm.url}/v1`, '--model', 'fake'];
    const run = await pelicanAsync([...args, '--rounds', '2', '--steps-per-round', '5', ...provider], dir, {
      OPENAI_API_KEY: 'sk-test-cli-process',
    });
    assert.equal(run.code, 1, run.out + run.err);
    assert.match(run.err, /every round failed/);
    assert.ok(llm.requests.length >= 2, 'each round asked the provider');
    const history = JSON.parse(readFileSync(join(dir, 'out', 'refine', 'refinement_history.json'), 'utf8'));
    assert.ok(history.history.length > 0 && history.history.every((r) => 'error' in r), JSON.stringify(history));

    // The same run with a provider that answers exits 0: the status is the rounds' outcome.
    const judge = {
      overall_quality: 0.5,
      resembles_pelican: true,
      geometric_accuracy: 'fair',
      missing_features: [],
      topology_issues: [],
      suggestions: [],
      ready_for_refinement: false,
      similarity_to_target: 0.5,
    };
    const plan = { actions: [{ type: 'modify', shape: 'eye', changes: { intensity: 0.1 } }], rationale: 'r' };
    llm.script({ queue: [{ answer: judge }, { answer: plan }], default: { answer: judge } });
    const ok = await pelicanAsync([...args, '--rounds', '1', '--steps-per-round', '5', ...provider], dir, {
      OPENAI_API_KEY: 'sk-test-cli-process',
    });
    assert.equal(ok.code, 0, ok.out + ok.err);
  } finally {
    await llm.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the CLI resumes Python from a snapshot it made itself, and starts cold without a usable one', async () => {
  const cache = mkdtempSync(join(tmpdir(), 'pelican-cli-snapshot-'));
  try {
    const env = { PELICAN_SNAPSHOT_DIR: cache, PELICAN_TIMING: '1' };
    const first = pelican(['--help'], cache, env);
    assert.equal(first.code, 0, first.err);
    assert.match(first.err, /Python cold\]/);
    // The first run left a maker behind it; its file appears within a minute or two.
    const file = join(cache, currentSnapshotName());
    for (let i = 0; i < 600 && !existsSync(file); i++) await new Promise((done) => setTimeout(done, 250));
    assert.ok(existsSync(file), 'the snapshot was made');
    const second = pelican(['optimize', '--target', 'nowhere.png'], cache, env);
    assert.equal(second.code, 1);
    assert.match(second.err, /target 'nowhere.png' does not exist/);
    assert.match(second.err, /Python snapshot\]/);
    writeFileSync(file, 'torn');
    const torn = pelican(['--help'], cache, env);
    assert.equal(torn.code, 0, torn.err);
    assert.match(torn.err, /Python cold\]/);
    // ...and the torn file is made again for the next run.
    const made = () => existsSync(file) && statSync(file).size > 100;
    for (let i = 0; i < 600 && !made(); i++) await new Promise((done) => setTimeout(done, 250));
    assert.ok(made(), 'the torn snapshot was made again');
    assert.match(pelican(['--help'], cache, env).err, /Python snapshot\]/);
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
});
