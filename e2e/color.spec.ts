// Colour in the app: uploads keep their colour, preview and render draw it, gray is a choice,
// transparency shows a matte the user picks, version 2 scenes come and go, bad ones are refused.
import { readFileSync } from 'node:fs';
import { test, expect, appState } from './fixture';
import type { Page } from '@playwright/test';
import { discPng } from './color-images';

const RED: [number, number, number, number] = [220, 30, 30, 255];
const BLUE: [number, number, number, number] = [30, 60, 200, 255];

/** RGBA bytes of a page canvas at fractional position (fx, fy). */
function canvasAt(app: Page, id: string, fx: number, fy: number): Promise<number[]> {
  return app.evaluate(
    ([id, fx, fy]) => {
      const c = document.getElementById(id as string) as HTMLCanvasElement;
      const d = c.getContext('2d')!.getImageData(Math.floor((fx as number) * c.width), Math.floor((fy as number) * c.height), 1, 1).data;
      return Array.from(d);
    },
    [id, fx, fy] as const,
  );
}

async function upload(app: Page, name: string, buffer: Buffer) {
  await app.setInputFiles('#file-input', { name, mimeType: 'image/png', buffer });
  await expect(app.locator('#target-label')).toContainText(name);
}

async function optimise(app: Page, steps: number) {
  await app.fill('#opt-steps', String(steps));
  await app.locator('#opt-steps').dispatchEvent('change');
  await app.click('#btn-optimize');
  await expect(app.locator('#stat-stage')).toHaveText('idle', { timeout: 60_000 });
}

async function save(app: Page, button: string) {
  await app.locator('#panel-export').evaluate((d) => ((d as HTMLDetailsElement).open = true));
  const [dl] = await Promise.all([app.waitForEvent('download'), app.click(button)]);
  return readFileSync((await dl.path())!);
}

test('a colour PNG stays in colour: target, fitted render, swatches and the PNG export', async ({ app }) => {
  await upload(app, 'red-on-blue.png', discPng(128, 128, RED, BLUE));
  await expect(app.locator('#color-mode')).toHaveValue('color');
  const target = await app.evaluate(() => (window as any).pelican.target());
  expect(target.channels).toBe(3);
  expect(target.pixels).toHaveLength(3 * 128 * 128);
  const [r, g, b] = await canvasAt(app, 'target-canvas', 0.42, 0.55);
  expect(r).toBeGreaterThan(200);
  expect(g + b).toBeLessThan(100);

  await optimise(app, 150);
  const s = await appState(app);
  expect((s.scene as any).version).toBe(2);
  expect((s.scene as any).background).toMatch(/^#[0-9a-f]{6}$/);
  // The fitted canvas is the picture's blue, and a shape over the disc its red.
  const corner = await canvasAt(app, 'render-canvas', 0.03, 0.03);
  expect(corner[2]).toBeGreaterThan(corner[0] + 80);
  const disc = await canvasAt(app, 'render-canvas', 0.42, 0.55);
  expect(disc[0]).toBeGreaterThan(disc[2] + 80);
  // Swatches are in colour: some shape's swatch is far from gray.
  const swatches = await app.locator('#shape-list .swatch').evaluateAll((els) => els.map((e) => getComputedStyle(e).backgroundColor));
  const chroma = swatches.map((c) => {
    const [r, g, b] = c.match(/[\d.]+/g)!.map(Number);
    return Math.max(r, g, b) - Math.min(r, g, b);
  });
  expect(Math.max(...chroma)).toBeGreaterThan(80);

  // The PNG export is in colour too (IHDR colour type 2 or 6 after a decode by the page).
  await app.locator('#panel-export').evaluate((d) => ((d as HTMLDetailsElement).open = true));
  await app.fill('#png-size', '64');
  const png = await save(app, '#btn-export-png');
  const decodedAt = (bytes: Buffer, type: string) =>
    app.evaluate(
      async ([b64, type]) => {
        const bmp = await createImageBitmap(new Blob([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], { type }));
        const c = new OffscreenCanvas(bmp.width, bmp.height);
        const ctx = c.getContext('2d')!;
        ctx.drawImage(bmp, 0, 0);
        return Array.from(ctx.getImageData(2, 2, 1, 1).data);
      },
      [bytes.toString('base64'), type] as const,
    );
  const pixel = await decodedAt(png, 'image/png');
  expect(pixel[2]).toBeGreaterThan(pixel[0] + 80);
  // The GIF's first frame: the canvas starts at the picture's mean colour, blue more than red.
  const gif = await save(app, '#btn-export-gif');
  expect(gif.subarray(0, 6).toString()).toBe('GIF89a');
  const frame = await decodedAt(gif, 'image/gif');
  expect(frame[2]).toBeGreaterThan(frame[0] + 40);
});

test('colour/gray: gray makes the target luma and the scene gray; colour brings the colour back', async ({ app }) => {
  await upload(app, 'red-on-blue.png', discPng(128, 128, RED, BLUE));
  await app.selectOption('#color-mode', 'gray');
  await expect.poll(async () => (await app.evaluate(() => (window as any).pelican.target())).channels).toBe(1);
  const t = await app.evaluate(() => (window as any).pelican.target());
  expect(t.pixels).toHaveLength(128 * 128);
  // ITU-R 601 luma of the blue background, at a corner.
  expect(t.pixels[0]).toBeCloseTo((0.299 * 30 + 0.587 * 60 + 0.114 * 200) / 255, 2);
  const [r, g, b] = await canvasAt(app, 'target-canvas', 0.03, 0.03);
  expect(r).toBe(g);
  expect(g).toBe(b);
  await optimise(app, 40);
  const gray = (await appState(app)).scene as any;
  expect(gray.shapes.every((s: any) => typeof s.intensity === 'number' && s.color === undefined)).toBe(true);
  const px = await app.evaluate(() => (window as any).pelican.render(32, 32));
  expect(px).toHaveLength(32 * 32);

  await app.selectOption('#color-mode', 'color');
  await expect.poll(async () => (await app.evaluate(() => (window as any).pelican.target())).channels).toBe(3);
  await optimise(app, 40);
  const colour = (await appState(app)).scene as any;
  expect(colour.shapes.every((s: any) => /^#[0-9a-f]{6}$/.test(s.color))).toBe(true);
  expect(await app.evaluate(() => (window as any).pelican.render(32, 32))).toHaveLength(3 * 32 * 32);
});

test('a transparent PNG is composited over the matte colour the user picks', async ({ app }) => {
  await upload(app, 'cut-out.png', discPng(100, 100, RED, [0, 0, 0, 0]));
  const white = await app.evaluate(() => (window as any).pelican.target());
  const n = white.width * white.height;
  expect([white.pixels[0], white.pixels[n], white.pixels[2 * n]]).toEqual([1, 1, 1]);
  await app.locator('#matte-color').evaluate((el: HTMLInputElement) => {
    el.value = '#00ff00';
    el.dispatchEvent(new Event('change'));
  });
  await expect.poll(async () => (await app.evaluate(() => (window as any).pelican.target())).pixels[0]).toBe(0);
  const green = await app.evaluate(() => (window as any).pelican.target());
  expect([green.pixels[0], green.pixels[n], green.pixels[2 * n]]).toEqual([0, 1, 0]);
  const seen = await canvasAt(app, 'target-canvas', 0.02, 0.02);
  expect(seen.slice(0, 3)).toEqual([0, 255, 0]);
  // The opaque disc is untouched by the matte.
  const disc = await canvasAt(app, 'target-canvas', 0.42, 0.55);
  expect(disc.slice(0, 3)).toEqual([220, 30, 30]);
  // The choice is kept with the session.
  expect(await app.locator('#matte-color').inputValue()).toBe('#00ff00');
  await app.evaluate(() => (window as any).pelican.save());
  await app.reload();
  await expect(app.locator('body')).toHaveAttribute('data-ready', 'true', { timeout: 60_000 });
  expect(await app.locator('#matte-color').inputValue()).toBe('#00ff00');
  expect((await app.evaluate(() => (window as any).pelican.target())).pixels[0]).toBe(0);
});

const V2 = {
  format: 'pelican-scene',
  version: 2,
  width: 128,
  height: 128,
  background: '#203040',
  shapes: [
    { name: 'sun', type: 'circle', cx: 0.7, cy: 0.3, r: 0.15, color: '#f0c020' },
    { name: 'sea', type: 'ellipse', cx: 0.5, cy: 0.9, rx: 0.6, ry: 0.2, rotation: 0, color: '#1060a0', opacity: 0.75 },
    { name: 'sail', type: 'triangle', points: [[0.2, 0.7], [0.35, 0.3], [0.4, 0.7]], intensity: 0.9, frozen: true },
  ],
};

test('a version 2 scene imports, renders its colours and exports back the same', async ({ app }) => {
  await upload(app, 'square.png', discPng(128, 128, RED, BLUE));
  await app.setInputFiles('#scene-input', { name: 'boat.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(V2)) });
  await expect.poll(async () => (await appState(app)).stages.at(-1)!.label).toMatch(/imported boat\.json/);
  expect((await appState(app)).scene).toEqual(V2);
  await expect(app.locator('#shape-list li').nth(1).locator('.meta')).toHaveText('ellipse #1060a0 · 75%');
  // The engine draws the canvas colour and the sun's yellow.
  const px = await app.evaluate(() => (window as any).pelican.render(64, 64));
  const at = (x: number, y: number) => [0, 1, 2].map((c) => Math.round(255 * px[c * 64 * 64 + y * 64 + x]));
  expect(at(2, 2)).toEqual([0x20, 0x30, 0x40]);
  // (Paint lives in [0.01, 0.99] in the engine, so the test's colours stay inside.)
  expect(at(45, 19)).toEqual([0xf0, 0xc0, 0x20]);
  const json = JSON.parse((await save(app, '#btn-export-json')).toString('utf8'));
  expect(json).toEqual(V2);
  // Python reads the same file (its SVG carries the colours).
  const svg = await app.evaluate(() => (window as any).pelican.svg());
  expect(svg).toContain('#f0c020');
  expect(svg).toContain('fill-opacity');
});

test('a bad scene is refused with the field named, and the scene stays', async ({ app }) => {
  const before = (await appState(app)).scene;
  const cases: Array<[object, string]> = [
    [{ ...V2.shapes[0], r: 5 }, 'shapes[0].r: 5 is outside [0, 4]'],
    [{ ...V2.shapes[0], r: 0 }, 'shapes[0].r: a radius must be positive'],
    [{ ...V2.shapes[1], rotation: 5e4 }, 'shapes[0].rotation: 50000 is outside [-10000, 10000]'],
    [{ ...V2.shapes[0], name: '  ' }, 'shapes[0].name: a shape name must be a non-empty string'],
    [{ ...V2.shapes[0], glow: 1 }, 'shapes[0].glow: unknown field for a circle'],
    [{ ...V2.shapes[0], color: 'red' }, "shapes[0].color: 'red' is not a colour (#rrggbb)"],
  ];
  for (const [shape, message] of cases) {
    const doc = { ...V2, shapes: [shape] };
    await app.setInputFiles('#scene-input', { name: 'bad.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(doc)) });
    await expect(app.locator('#error')).toContainText(message);
  }
  // Version 1 knows no colours.
  const v1 = { ...V2, version: 1, background: undefined, shapes: [V2.shapes[0]] };
  await app.setInputFiles('#scene-input', { name: 'old.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(v1)) });
  await expect(app.locator('#error')).toContainText('shapes[0].color: unknown field for a circle in a version 1 scene');
  expect((await appState(app)).scene).toEqual(before);
});

test('Run on a user picture vectorises it in colour from the background alone', async ({ app }) => {
  await upload(app, 'red-on-blue.png', discPng(96, 96, RED, BLUE));
  await app.fill('#greedy-max', '6');
  await app.locator('#greedy-max').dispatchEvent('change');
  await app.click('#btn-run');
  await expect(app.locator('#stat-stage')).toHaveText('idle', { timeout: 90_000 });
  const s = await appState(app);
  expect(s.log.some((l) => /^vectorize round 1:/.test(l.text))).toBe(true);
  expect(s.log.at(-1)!.text).toMatch(/^vectorize: done, 6 shapes/);
  const scene = s.scene as any;
  expect(scene.shapes).toHaveLength(6);
  expect(scene.shapes.some((sh: any) => sh.name === 'body')).toBe(false); // not the pelican start
  expect(scene.background).toMatch(/^#[0-9a-f]{6}$/);
  const corner = await canvasAt(app, 'render-canvas', 0.03, 0.03);
  expect(corner[2]).toBeGreaterThan(corner[0] + 80);
  await expect(app.locator('#error')).toBeHidden();
});

test('the built-in art starts gray (the original pipeline) and can be switched to colour', async ({ app }) => {
  await expect(app.locator('#color-mode')).toHaveValue('gray');
  expect((await app.evaluate(() => (window as any).pelican.target())).channels).toBe(1);
  await app.selectOption('#color-mode', 'color');
  await expect.poll(async () => (await app.evaluate(() => (window as any).pelican.target())).channels).toBe(3);
  // The crown's yellow-brown is in the target: somewhere red is well above blue.
  const t = await app.evaluate(() => (window as any).pelican.target());
  const n = t.width * t.height;
  let warmest = -1;
  for (let i = 0; i < n; i++) warmest = Math.max(warmest, t.pixels[i] - t.pixels[2 * n + i]);
  expect(warmest).toBeGreaterThan(0.2);
  // The art keeps its choice when it is loaded again; a picture has its own (colour by default).
  await upload(app, 'red-on-blue.png', discPng(64, 64, RED, BLUE));
  await app.selectOption('#color-mode', 'gray');
  await app.click('#btn-default');
  await expect(app.locator('#color-mode')).toHaveValue('color');
  expect((await app.evaluate(() => (window as any).pelican.target())).channels).toBe(3);
});

test('Run on a picture in gray vectorises its luma, and Stop keeps the scene so far', async ({ app }) => {
  await upload(app, 'red-on-blue.png', discPng(96, 96, RED, BLUE));
  await app.selectOption('#color-mode', 'gray');
  await expect.poll(async () => (await app.evaluate(() => (window as any).pelican.target())).channels).toBe(1);
  await app.fill('#greedy-max', '40');
  await app.locator('#greedy-max').dispatchEvent('change');
  await app.click('#btn-run');
  await expect.poll(async () => (await appState(app)).log.some((l) => /^vectorize round 2:/.test(l.text)), { timeout: 60_000 }).toBe(true);
  await app.click('#btn-stop');
  await expect(app.locator('#stat-stage')).not.toHaveText('pipeline', { timeout: 60_000 });
  const s = await appState(app);
  expect(s.log.at(-1)!.text).toMatch(/^vectorize: stopped/);
  const scene = s.scene as any;
  expect(scene.shapes.length).toBeGreaterThan(0);
  expect(scene.shapes.length).toBeLessThan(40);
  expect(scene.shapes.every((sh: any) => typeof sh.intensity === 'number' && sh.color === undefined)).toBe(true);
  const [r, g, b] = await canvasAt(app, 'render-canvas', 0.03, 0.03);
  expect(r).toBe(g);
  expect(g).toBe(b);
  await expect(app.locator('#error')).toBeHidden();
});

test('the page and Python give the same verdicts on scenes, in the same words', async ({ app }) => {
  const base = { ...V2, width: 128, height: 128 };
  const shape = (patch: object, i = 0) => ({ ...base, shapes: [{ ...V2.shapes[i], ...patch }] });
  const docs: object[] = [
    shape({ r: 5 }),
    shape({ r: 0 }),
    shape({ r: -1 }),
    shape({ rotation: 5e4 }, 1),
    shape({ name: '' }),
    shape({ name: 'a<b' }),
    shape({ glow: 1 }),
    shape({ color: '#12345' }),
    shape({ intensity: 0.5 }),
    shape({ opacity: 2 }),
    shape({ frozen: 'yes' }),
    shape({ points: [[0.1, 0.1], [0.2, 0.2]] }, 2),
    shape({ cx: 1.5 }),
    shape({ cx: 'left' }),
    shape({ r: true }),
    shape({ r: null }),
    { ...base, version: 1, background: undefined },
    { ...base, version: 3 },
    { ...base, width: 12.5 },
    { ...base, extra: true },
    { ...base, background: 'blue' },
    { ...base, shapes: [V2.shapes[0], V2.shapes[0]] },
  ];
  for (const doc of docs) {
    const text = JSON.stringify(doc);
    const python = await app.evaluate(
      (t) => (window as any).pelican.py(`import json\nfrom pelican import Scene, SceneError\ntry:\n    Scene.from_dict(json.loads(${JSON.stringify(t)}))\n    v = 'accepted'\nexcept SceneError as e:\n    v = str(e)\nv`),
      text,
    );
    await app.setInputFiles('#scene-input', { name: 'case.json', mimeType: 'application/json', buffer: Buffer.from(text) });
    await expect(app.locator('#error')).toBeVisible();
    const page = (await app.locator('#error').textContent())!.replace(/^Could not import case\.json: /, '');
    expect(python, text).not.toBe('accepted');
    expect(page, text).toBe(python);
    await app.evaluate(() => (document.getElementById('error')!.hidden = true));
  }
  // A good version 2 scene reads the same on both sides.
  const fromPython = await app.evaluate(
    (t) => (window as any).pelican.py(`import json\nfrom pelican import Scene\njson.dumps(Scene.from_dict(json.loads(${JSON.stringify(t)})).to_dict())`),
    JSON.stringify(V2),
  );
  await app.setInputFiles('#scene-input', { name: 'boat.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(V2)) });
  await expect.poll(async () => (await appState(app)).stages.at(-1)!.label).toMatch(/imported boat\.json/);
  expect((await appState(app)).scene).toEqual(JSON.parse(fromPython));
});

test('Greedy on a colour scene with translucent shapes says why it cannot, and keeps the scene', async ({ app }) => {
  await upload(app, 'red-on-blue.png', discPng(96, 96, RED, BLUE));
  await optimise(app, 30);
  const before = (await appState(app)).scene;
  expect(before.shapes.some((s: any) => s.opacity !== undefined)).toBe(true);
  await app.click('#btn-greedy');
  await expect(app.locator('#stat-stage')).toHaveText('idle', { timeout: 60_000 });
  await expect(app.locator('#error')).toContainText('greedy refine adds opaque shapes only');
  expect((await appState(app)).scene).toEqual(before);
});
