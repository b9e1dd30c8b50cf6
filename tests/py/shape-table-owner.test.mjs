// The engine owns the shape table (cpp/include/pelican/shape_model.h); Python and the page read it
// (py/pelican/shape_table.py, web/src/model.ts). This scan fails when a source file keeps a copy of
// its own instead: type names mapped to their codes, the types listed in code order, or a named
// size or rotation limit. The patterns are built from the table the engine hands out, so a new
// type is covered without touching this file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SCANNED = [
  ['py/pelican', /\.py$/],
  ['web/src', /\.(ts|mts|js|mjs|py)$/],
];
/** The modules whose job is to read the table. */
const READERS = new Set(['py/pelican/shape_table.py', 'web/src/model.ts']);
/** Copies that are the original's behaviour, not the engine's table; each says why. */
const ALLOWED = [
  {
    file: 'py/pelican/proposals.py',
    line: /^TYPE_CYCLE = /,
    why: "the original's random proposals draw the types in this order (spec §6.2); its RNG replay needs it",
  },
];

async function engineTable() {
  const client = await import(pathToFileURL(join(root, 'build', 'workers', 'client.js')).href);
  const engine = client.createEngine();
  try {
    return await engine.shapeModel();
  } finally {
    engine.terminate();
  }
}

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** [why, RegExp] pairs; each is matched against one line of source at a time. */
export function copyPatterns(types) {
  const names = [...types].sort((a, b) => a.code - b.code).map((t) => t.name);
  const quoted = (n) => `["'\`]${escape(n)}["'\`]`;
  const patterns = [];
  for (const name of names) {
    patterns.push([`${name} mapped to a number`, new RegExp(`(^|[^\\w.])["'\`]?${escape(name)}["'\`]?\\s*:\\s*-?\\d`)]);
    patterns.push([`a number mapped to ${name}`, new RegExp(`(^|[^\\w.])\\d+\\s*:\\s*${quoted(name)}`)]);
    patterns.push([`${name} as a constant`, new RegExp(`\\b${escape(name.toUpperCase())}\\s*=\\s*-?\\d`)]);
  }
  patterns.push(['the types in code order', new RegExp(names.map(quoted).join('\\s*,\\s*'))]);
  patterns.push([
    'a named size or rotation limit',
    /\b(k?(MAX|MIN)_?[A-Z0-9_]*(RADIUS|RADII|ROTATION|ANGLE)[A-Z0-9_]*|[A-Z0-9_]*(RADIUS|ROTATION|ANGLE)_?(MAX|MIN|LIMIT)[A-Z0-9_]*)\s*[:=]\s*[-+(]?\s*[\d.]/,
  ]);
  patterns.push([
    'a named size or rotation limit',
    /\b(k|)(max|min)(Radius|Rotation|Angle)\w*\s*[:=]\s*[-+(]?\s*[\d.]/,
  ]);
  return patterns;
}

export function copiesIn(text, patterns) {
  const found = [];
  text.split('\n').forEach((line, i) => {
    const code = line.replace(/^\s*(#|\/\/|\*).*$/, '');
    for (const [why, pattern] of patterns) if (pattern.test(code)) found.push({ line: i + 1, text: line.trim(), why });
  });
  return found;
}

function* sources(dir, ext) {
  for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* sources(path, ext);
    else if (ext.test(entry.name)) yield path;
  }
}

test('the scan knows a copy when it sees one, and leaves unrelated numbers alone', async () => {
  const patterns = copyPatterns((await engineTable()).types);
  const copies = [
    'FIELDS = {"circle": 0, "ellipse": 1}',
    'const TYPES = { circle: 0, ellipse: 1, triangle: 2 };',
    'BY_CODE = {2: "triangle"}',
    'TYPES = ("circle", "ellipse", "triangle")',
    "const names = ['circle', 'ellipse', 'triangle'];",
    'MAX_RADIUS = 1.5',
    'MAX_ROTATION = 4 * math.pi',
    'export const maxRadius = 4;',
    'ROTATION_LIMIT = 1e4',
    'TRIANGLE = 2',
  ];
  for (const line of copies) assert.ok(copiesIn(line, patterns).length > 0, `not flagged: ${line}`);
  const unrelated = [
    'radius = 0.5 * side',
    "if (s.type === 'circle') ctx.arc(s.cx * m, s.cy * m, Math.max(0.5, s.r * m), 0, 2 * Math.PI);",
    'r = shape.r if shape.type == "circle" else max(shape.rx, shape.ry)',
    '_ALLOWED = {"svg", "clipPath", "rect", "g", "circle", "ellipse", "polygon"}',
    'MIN_SIZE_PX = 0.25',
    'style: { circle: "round" }',
    '# MAX_RADIUS = 1.5 was the old limit',
  ];
  for (const line of unrelated) assert.deepEqual(copiesIn(line, patterns), [], line);
});

test('no source outside the table readers keeps its own copy of the shape table', async () => {
  const patterns = copyPatterns((await engineTable()).types);
  const found = [];
  for (const [dir, ext] of SCANNED) {
    for (const path of sources(dir, ext)) {
      const file = relative(root, join(root, path));
      if (READERS.has(file)) continue;
      for (const hit of copiesIn(readFileSync(join(root, path), 'utf8'), patterns)) {
        if (ALLOWED.some((a) => a.file === file && a.line.test(hit.text))) continue;
        found.push(`${file}:${hit.line}: ${hit.why}: ${hit.text}`);
      }
    }
  }
  assert.deepEqual(
    found,
    [],
    `read these from the engine's table (py/pelican/shape_table.py, web/src/model.ts):\n${found.join('\n')}`,
  );
});
