// Exports keep the picture's size: the SVG opens at the original picture's width and height
// (its viewBox stays the working canvas), and a PNG size beyond the limit is clamped out loud.
import { readFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import { test, expect, appState } from './fixture';
import { pngBuffer } from './images';
import type { Page } from '@playwright/test';

async function save(app: Page, button: string) {
  await app.locator('#panel-export').evaluate((d) => ((d as HTMLDetailsElement).open = true));
  const [dl] = await Promise.all([app.waitForEvent('download'), app.click(button)]);
  return readFileSync((await dl.path())!);
}

test("the exported SVG has the original picture's size and the canvas as its viewBox", async ({ app }) => {
  await app.setInputFiles('#file-input', { name: 'wide.png', mimeType: 'image/png', buffer: pngBuffer(900, 450) });
  await expect(app.locator('#target-label')).toHaveText(/wide\.png · 128×64/);
  const svg = (await save(app, '#btn-export-svg')).toString('utf8');
  const root = await app.evaluate((text) => {
    const r = new DOMParser().parseFromString(text, 'image/svg+xml').documentElement;
    return { w: r.getAttribute('width'), h: r.getAttribute('height'), box: r.getAttribute('viewBox') };
  }, svg);
  expect(root).toEqual({ w: '900', h: '450', box: '0 0 128 64' });
  // It still imports as the same scene.
  const scene = (await appState(app)).scene;
  await app.setInputFiles('#scene-input', { name: 'wide.svg', mimeType: 'image/svg+xml', buffer: Buffer.from(svg) });
  await expect.poll(async () => (await appState(app)).stages.at(-1)!.label).toMatch(/imported wide\.svg/);
  expect((await appState(app)).scene.shapes.map((s) => s.name)).toEqual(scene.shapes.map((s) => s.name));
});

test('a PNG size above 4096 is clamped, and the page says so', async ({ app }) => {
  await app.setInputFiles('#file-input', { name: 'wide.png', mimeType: 'image/png', buffer: pngBuffer(300, 150) });
  await app.locator('#panel-export').evaluate((d) => ((d as HTMLDetailsElement).open = true));
  await app.fill('#png-size', '5000');
  const png = PNG.sync.read(await save(app, '#btn-export-png'));
  expect([png.width, png.height]).toEqual([4096, 2048]);
  await expect(app.locator('#notice')).toContainText('PNG size 5000 is outside 16–4096: exported at 4096 px');
  await expect(app.locator('#png-size')).toHaveValue('4096');
});
