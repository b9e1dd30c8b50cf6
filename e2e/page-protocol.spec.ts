// The page ↔ Python boundary (web/src/page-protocol.ts): pelican's named errors cross both ways,
// answers bigger than the shared buffer still arrive whole, and the page's Python worker gets the
// same host as Node (py/host/host.mjs createHost), seen through the same Python face.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { test, expect } from './fixture';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

test('a pelican error raised in Python reaches the page under its own name; others stay PythonError', async ({
  app,
}) => {
  const named = await app.evaluate(() =>
    (window as any).pelican.py('import pelican\nraise pelican.SceneError("shapes[0].r: not today")').then(
      () => null,
      (e: Error) => `${e.name}|${e.message}`,
    ),
  );
  expect(named).toMatch(/^SceneError\|/);
  expect(named).toContain('shapes[0].r: not today');
  const other = await app.evaluate(() =>
    (window as any).pelican.py('raise KeyError("k")').then(
      () => null,
      (e: Error & { type?: string }) => `${e.name}|${e.type}`,
    ),
  );
  expect(other).toBe('PythonError|KeyError');
});

test("the page's errors are raised in Python as pelican's classes", async ({ app }) => {
  const out = await app.evaluate(() =>
    (window as any).pelican.py(`
import pelican
seen = []
doc = app.scene
doc["shapes"][0]["cx"] = 2
try:
    app.scene = doc
except Exception as e:
    seen.append([type(e) is pelican.SceneError, str(e)])
try:
    app.scene = dict(app.scene, width=97, height=13)
except Exception as e:
    seen.append([type(e) is pelican.SceneError, str(e)])
seen
`),
  );
  expect(out[0][0]).toBe(true);
  expect(out[0][1]).toContain('shapes[0].cx: 2 is outside [0, 1]');
  expect(out[1][0]).toBe(true);
  expect(out[1][1]).toMatch(/aspect must match/);
});

test("app.target arrives whole, though it is bigger than the worker's answer buffer", async ({ app }) => {
  const page = await app.evaluate(() => {
    const t = (window as any).pelican.target();
    return {
      size: [t.width, t.height, t.channels, t.pixels.length],
      sum: t.pixels.reduce((a: number, b: number) => a + b, 0),
    };
  });
  expect(page.size[3] * 4, "the floats alone fill the worker's first 64 KiB buffer").toBeGreaterThanOrEqual(65536);
  const python = await app.evaluate(() =>
    (window as any).pelican.py(
      't = app.target\n{"size": [t["width"], t["height"], t["channels"], len(t["pixels"])], "sum": sum(t["pixels"])}',
    ),
  );
  expect(python.size).toEqual(page.size);
  expect(python.sum).toBeCloseTo(page.sum, 6);
});

test("the page's Python host is Node's: the same members, constants and Python face", async ({ app }) => {
  const probe = `
import json
import pelican_host
from js import Object
from pelican import _host
p = _host.protocol()
json.dumps({"members": sorted(Object.keys(pelican_host)), "protocol": pelican_host.protocol, "shapeModel": pelican_host.shapeModel,
            "face": [list(p.breakdown_keys), p.default_weights, sorted((k, v.__name__) for k, v in p.errors.items())]})
`;
  const inPage = JSON.parse(await app.evaluate((code) => (window as any).pelican.py(code), probe));

  // Node's side in a process of its own, as the CLI runs it (Pyodide does not load under the test
  // runner's module hooks).
  const node = `
import { loadPelican } from ${JSON.stringify(pathToFileURL(join(root, 'py', 'host', 'node.mjs')).href)};
const host = await loadPelican({ poolSize: 1, stdout: () => undefined, stderr: () => undefined });
try {
  process.stdout.write(await host.pyodide.runPythonAsync(${JSON.stringify(probe)}));
} finally {
  host.close();
}`;
  // A file, not -e: the engine's worker threads inherit the process's flags.
  const script = join(mkdtempSync(join(tmpdir(), 'pelican-host-')), 'probe.mjs');
  writeFileSync(script, node);
  const inNode = JSON.parse(execFileSync(process.execPath, [script], { cwd: root, encoding: 'utf8' }));
  const { HOST_MEMBERS } = await import(pathToFileURL(join(root, 'py', 'host', 'host.mjs')).href);
  for (const side of [inPage, inNode]) expect(side.members).toEqual(expect.arrayContaining(HOST_MEMBERS));
  // The page adds nothing of its own to the host; Node adds its decoders, GIF encoder and files.
  expect(inPage.members.sort()).toEqual([...HOST_MEMBERS].sort());
  expect(inPage.protocol).toBe(inNode.protocol);
  expect(inPage.shapeModel).toBe(inNode.shapeModel);
  expect(inPage.face).toEqual(inNode.face);
  expect(inPage.face[0]).toEqual(['mse', 'edge', 'ssim', 'perimeter', 'degeneracy', 'canvas', 'total']);
});
