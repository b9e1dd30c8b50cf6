// The Python console and the devtools door: scripts change the scene and the page shows it.
import { test, expect, appState } from './fixture';
import type { Page } from '@playwright/test';

async function openConsole(app: Page) {
  await app.keyboard.press('`');
  await expect(app.locator('#console-in')).toBeFocused();
}

async function type(app: Page, code: string) {
  const input = app.locator('#console-in');
  const lines = code.split('\n');
  for (let i = 0; i < lines.length; i++) {
    await input.pressSequentially(lines[i]);
    if (i < lines.length - 1) await input.press('Shift+Enter');
  }
  await input.press('Enter');
}

test('a multi-line console script changes the scene and the page shows it', async ({ app }) => {
  await openConsole(app);
  await type(
    app,
    'doc = app.scene\nfor s in doc["shapes"]:\n    s["intensity"] = 0.9 if s["name"] == "body" else s["intensity"]\ndoc["shapes"] = doc["shapes"][:5]\napp.scene = doc',
  );
  await expect(app.locator('#shape-list li')).toHaveCount(5);
  const s = await appState(app);
  expect(s.scene.shapes[0]).toMatchObject({ name: 'body', intensity: 0.9 });
  expect(s.stages.at(-1)!.label).toBe('python');
  await expect(app.locator('#shape-list li').first().locator('.meta')).toHaveText('ellipse 0.90');

  // Expressions print their repr; errors print a traceback naming the user's code.
  await type(app, 'len(app.scene["shapes"]) * 2');
  await expect(app.locator('#console-out')).toContainText('10');
  await type(app, 'def f():\n    return 1 / 0\n\nf()');
  await expect(app.locator('#console-out .err')).toContainText('ZeroDivisionError');
  await expect(app.locator('#console-out .err')).toContainText('File "<console>", line 2, in f');
  await expect(app.locator('#console-out .err')).not.toContainText('_pyodide');

  // History: ↑ brings the last entry back.
  await app.locator('#console-in').press('ArrowUp');
  await expect(app.locator('#console-in')).toHaveValue(/return 1 \/ 0/);

  // Invalid scenes from Python are refused with the field named, and nothing changes.
  await app.locator('#console-in').fill('');
  await type(
    app,
    'app.scene = {"format": "pelican-scene", "version": 1, "width": 128, "height": 128, "shapes": [{"name": "c", "type": "circle", "cx": 2, "cy": 0.5, "r": 0.1, "intensity": 0.5}]}',
  );
  await expect(app.locator('#console-out .err').last()).toContainText('shapes[0].cx: 2 is outside [0, 1]');
  expect((await appState(app)).scene.shapes).toHaveLength(5);
});

test('pelican.py from the devtools side runs Python and returns values', async ({ app }) => {
  const n = await app.evaluate(() => (window as any).pelican.py("len(app.scene['shapes'])"));
  expect(n).toBe(9);
  const names = await app.evaluate(() => (window as any).pelican.py("[s['name'] for s in app.scene['shapes']][:3]"));
  expect(names).toEqual(['body', 'neck', 'head']);
  await app.evaluate(() =>
    (window as any).pelican.py(`
doc = app.scene
doc["shapes"].append({"name": "sun", "type": "circle", "cx": 0.85, "cy": 0.15, "r": 0.08, "intensity": 0.1})
app.show(doc, "devtools")
`),
  );
  await expect(app.locator('#shape-list li')).toHaveCount(10);
  await expect(app.locator('#shape-list li').last().locator('.name')).toHaveText('sun');
  const err = await app.evaluate(() =>
    (window as any).pelican.py('raise ValueError("nope")').then(
      () => null,
      (e: Error) => `${e.name}|${e.message}`,
    ),
  );
  expect(err).toMatch(/^PythonError\|/);
  expect(err).toContain('ValueError: nope');
  // The console's app can drive a run and the page shows it live.
  const out = await app.evaluate(() => (window as any).pelican.py('import json\nawait app.optimize(steps=40)'));
  expect(out).toMatchObject({ steps_completed: 40, cancelled: false });
  expect((await appState(app)).lossHistory).toHaveLength(40);
});

test('import pelican works in the console', async ({ app }) => {
  const bundled = await app.evaluate(() => (window as any).pelican.state.pelicanPackage);
  expect(bundled, 'py/pelican is bundled and imported').toMatch(/^\d+\.\d+/);
  const out = await app.evaluate(() =>
    (window as any).pelican.py('import pelican\n[pelican.__name__, pelican.__version__]'),
  );
  expect(out).toEqual(['pelican', bundled]);
});

test('a script loads a target, builds a scene and runs greedy search; the page follows', async ({ app }) => {
  const out = await app.evaluate(() =>
    (window as any).pelican.py(`
import math
W = H = 64
px = [0.1 if math.hypot(x - 24, y - 30) < 14 else (0.5 if 40 < x < 58 and 10 < y < 50 else 0.95) for y in range(H) for x in range(W)]
app.set_target(px, W, H, "disc and bar")
app.scene = {"format": "pelican-scene", "version": 1, "width": W, "height": H,
             "shapes": [{"name": "blob", "type": "circle", "cx": 0.5, "cy": 0.5, "r": 0.2, "intensity": 0.3}]}
r = await app.optimize(steps=150)
g = await app.greedy(max_shapes=3, candidates=2)
{"opt": r, "greedy": g}
`),
  );
  await expect(app.locator('#target-label')).toHaveText(/disc and bar · 64×64/);
  expect(out.opt.steps_completed).toBe(150);
  const s = await appState(app);
  expect(s.scene.shapes.length).toBe(out.greedy.shapes);
  expect(s.scene.shapes.length).toBeGreaterThan(1);
  expect(s.breakdown!.mse).toBeLessThan(0.05);
  await expect(app.locator('#stat-shapes')).toHaveText(String(s.scene.shapes.length));
});
