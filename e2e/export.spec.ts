// Export: an SVG that parses and renders like the preview, PNG/JSON/GIF/metrics files, and the
// SVG and JSON read back into the same scene. SVG files are written and read by Python
// (pelican.svg through web/src/pelican_app.py), also when Python is still loading.
import { readFileSync } from 'node:fs';
import { test, expect, appState, optimise, renderPixels, meanAbsDiff, waitReady, type AppState } from './fixture';
import type { Page } from '@playwright/test';

async function save(app: Page, button: string) {
  await app.locator('#panel-export').evaluate((d) => ((d as HTMLDetailsElement).open = true));
  const [dl] = await Promise.all([app.waitForEvent('download'), app.click(button)]);
  const path = await dl.path();
  return { name: dl.suggestedFilename(), path: path!, bytes: readFileSync(path!) };
}

function expectScenesClose(a: AppState['scene'], b: AppState['scene']) {
  expect(b.shapes.map((s) => [s.name, s.type])).toEqual(a.shapes.map((s) => [s.name, s.type]));
  a.shapes.forEach((s, i) => {
    const t = b.shapes[i] as Record<string, unknown>;
    for (const [k, v] of Object.entries(s)) {
      if (typeof v === 'number') expect(t[k] as number, `${s.name}.${k}`).toBeCloseTo(v, k === 'intensity' ? 2 : 3);
      if (k === 'points')
        (v as number[][]).forEach((p, j) =>
          p.forEach((c, m) => expect((t.points as number[][])[j][m]).toBeCloseTo(c, 3)),
        );
    }
  });
}

test('export SVG: it parses, renders close to the preview, and imports back', async ({ app }) => {
  await optimise(app);
  // A frozen shape: its flag must survive the round trip too.
  await app.locator('#shape-list li').nth(2).click();
  await app.click('#btn-shape-freeze');
  const scene = (await appState(app)).scene;
  expect(scene.shapes[2].frozen).toBe(true);
  const svg = await save(app, '#btn-export-svg');
  expect(svg.name).toBe('pelican.svg');
  const text = svg.bytes.toString('utf8');
  expect(text).not.toMatch(/<script|\son\w+=/i);
  // The file is pelican.to_svg's, byte for byte: the page has no SVG writer of its own.
  const fromPython = await app.evaluate(() =>
    (window as any).pelican.py('import pelican\npelican.to_svg(pelican.Scene.from_dict(app.scene))'),
  );
  // Only the display size differs: the built-in picture's 512 × 512 (the viewBox stays the canvas).
  expect(text).toBe(fromPython.replace(`width="${scene.width}" height="${scene.height}"`, 'width="512" height="512"'));
  expect(text).toContain(`id="${scene.shapes[0].name}"`);

  const result = await app.evaluate(
    async ({ text, w, h }) => {
      const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
      const parseError = doc.querySelector('parsererror')?.textContent ?? null;
      const root = doc.documentElement;
      const img = new Image();
      img.src = URL.createObjectURL(new Blob([text], { type: 'image/svg+xml' }));
      await img.decode();
      const c = new OffscreenCanvas(w, h);
      const ctx = c.getContext('2d')!;
      ctx.drawImage(img, 0, 0, w, h);
      const d = ctx.getImageData(0, 0, w, h).data;
      const gray: number[] = [];
      for (let i = 0; i < d.length; i += 4) gray.push((0.299 * d[i] + 0.587 * d[i + 1] + 0.114 * d[i + 2]) / 255);
      return {
        parseError,
        tag: root.tagName,
        viewBox: root.getAttribute('viewBox'),
        shapes: root.querySelectorAll('circle,ellipse,polygon').length,
        gray,
      };
    },
    { text, w: scene.width, h: scene.height },
  );
  expect(result.parseError).toBeNull();
  expect(result.tag).toBe('svg');
  expect(result.viewBox).toBe(`0 0 ${scene.width} ${scene.height}`);
  expect(result.shapes).toBe(scene.shapes.length);
  const preview = await renderPixels(app);
  const diff = meanAbsDiff(result.gray, preview);
  test.info().annotations.push({ type: 'svg vs preview mean |Δ|', description: diff.toFixed(4) });
  expect(diff).toBeLessThan(0.03);

  // Back to the initial pelican, then import the SVG: the optimised scene returns.
  await app.locator('#timeline li').first().click();
  await app.setInputFiles('#scene-input', { name: 'pelican.svg', mimeType: 'image/svg+xml', buffer: svg.bytes });
  await expect.poll(async () => (await appState(app)).stages.at(-1)!.label).toMatch(/imported pelican\.svg/);
  const back = await appState(app);
  expectScenesClose(scene, back.scene);
  expect(back.scene.shapes.map((s) => !!s.frozen)).toEqual(scene.shapes.map((s) => !!s.frozen));
});

test('Export SVG pressed while Python is loading waits for it, says so, and saves the file', async ({ page }) => {
  // Hold Pyodide's Wasm back so Python is certainly still loading when the button is pressed.
  await page.route('**/pyodide/pyodide.asm.wasm', async (route) => {
    await new Promise((r) => setTimeout(r, 3000));
    await route.continue();
  });
  await page.goto('/');
  await expect.poll(() => page.evaluate(() => (window as any).pelican?.state.scene?.shapes.length ?? 0)).toBe(9);
  expect(await page.evaluate(() => (window as any).pelican.state.pythonReady)).toBe(false);
  await page.locator('#panel-export').evaluate((d) => ((d as HTMLDetailsElement).open = true));
  const download = page.waitForEvent('download', { timeout: 60_000 });
  await page.click('#btn-export-svg');
  await expect(page.locator('#status')).toContainText('write the SVG');
  const dl = await download;
  const text = readFileSync((await dl.path())!, 'utf8');
  await waitReady(page);
  expect(text).toBe(await page.evaluate(() => (window as any).pelican.svg()));
  expect(text).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" viewBox="0 0 128 128"/);
});

test('export scene JSON, PNG at any size, GIF and metrics; JSON imports back exactly', async ({ app }) => {
  await optimise(app, 80);
  const scene = (await appState(app)).scene;

  const json = await save(app, '#btn-export-json');
  const doc = JSON.parse(json.bytes.toString('utf8'));
  expect(doc).toMatchObject({ format: 'pelican-scene', version: 1, width: scene.width, height: scene.height });
  expect(doc.shapes).toEqual(scene.shapes);

  await app.fill('#png-size', '300');
  const png = await save(app, '#btn-export-png');
  expect(png.bytes.subarray(1, 4).toString()).toBe('PNG');
  expect(png.bytes.readUInt32BE(16)).toBe(300); // IHDR width
  expect(png.bytes.readUInt32BE(20)).toBe(300);

  const gif = await save(app, '#btn-export-gif');
  expect(gif.bytes.subarray(0, 6).toString()).toBe('GIF89a');
  expect(gif.bytes.length).toBeGreaterThan(1000);
  expect((await appState(app)).frames).toBeGreaterThanOrEqual(3);

  const metrics = JSON.parse((await save(app, '#btn-export-metrics')).bytes.toString('utf8'));
  expect(metrics.loss_history.length).toBe(80);
  expect(metrics.shapes).toBe(scene.shapes.length);

  await app.locator('#timeline li').first().click();
  await app.setInputFiles('#scene-input', {
    name: 'pelican-scene.json',
    mimeType: 'application/json',
    buffer: json.bytes,
  });
  await expect.poll(async () => (await appState(app)).stages.at(-1)!.label).toMatch(/imported pelican-scene\.json/);
  expect((await appState(app)).scene.shapes).toEqual(scene.shapes);

  // A malformed scene is refused with the field named; the scene stays.
  const bad = { ...doc, shapes: [{ ...doc.shapes[0], cx: 'left' }] };
  await app.setInputFiles('#scene-input', {
    name: 'bad.json',
    mimeType: 'application/json',
    buffer: Buffer.from(JSON.stringify(bad)),
  });
  await expect(app.locator('#error')).toContainText("shapes[0].cx: expected a number, got str 'left'");
  expect((await appState(app)).scene.shapes).toEqual(scene.shapes);
});

test('a hostile or foreign SVG is refused without touching the scene', async ({ app }) => {
  const before = (await appState(app)).scene;
  const svg = (body: string) => `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 128 128"${body}</svg>`;
  const cases: [string, string, string][] = [
    [
      'evil.svg',
      svg(' data-generator="pelican"><script>alert(1)</script><circle cx="10" cy="10" r="5" fill="rgb(0,0,0)"/>'),
      'svg: element <script> is not one this program writes',
    ],
    ['path.svg', svg('><path d="M0 0L10 10"/>'), 'svg: element <path> is not one this program writes'],
    [
      'bomb.svg',
      `<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa">]>${svg('><desc>&a;&a;</desc>')}`,
      'svg: DOCTYPE and ENTITY declarations are not accepted',
    ],
    ['empty.svg', svg('><rect width="128" height="128" fill="#ffffff"/>'), 'svg: no circle, ellipse or polygon in it'],
  ];
  for (const [name, text, why] of cases) {
    await app.setInputFiles('#scene-input', { name, mimeType: 'image/svg+xml', buffer: Buffer.from(text) });
    await expect(app.locator('#error')).toContainText(`Could not import ${name}: ${why}`);
  }
  expect((await appState(app)).scene).toEqual(before);
});

test('a dropped SVG: one of ours is imported as a scene, any other becomes the target picture', async ({ app }) => {
  const drop = (name: string, text: string) =>
    app.evaluate(
      ({ name, text }) => {
        const dt = new DataTransfer();
        dt.items.add(new File([text], name, { type: 'image/svg+xml' }));
        window.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, cancelable: true }));
      },
      { name, text },
    );
  const ours = await app.evaluate(() =>
    (window as any).pelican.py(`
import pelican
s = pelican.Scene.from_dict(app.scene)
s.remove("feet")
pelican.to_svg(s)`),
  );
  await drop('mine.svg', ours);
  await expect.poll(async () => (await appState(app)).stages.at(-1)!.label).toBe('imported mine.svg');
  expect((await appState(app)).scene.shapes).toHaveLength(8);
  await expect(app.locator('#target-label')).toHaveText(/built-in pelican/);

  const picture = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 32" width="64" height="32"><path d="M0 0H64V32H0Z" fill="#222"/></svg>`;
  await drop('drawing.svg', picture);
  await expect(app.locator('#target-label')).toHaveText(/drawing\.svg · 128×64/);
  await expect(app.locator('#error')).toBeHidden();
});
