// Bringing pictures in: picker, drop and paste; aspect kept; broken files leave the work alone.
import { test, expect, appState } from './fixture';
import { jpegBuffer, pngBuffer } from './images';

test('upload a PNG: the target takes its aspect and the scene restarts on it', async ({ app }) => {
  await app.setInputFiles('#file-input', { name: 'wide.png', mimeType: 'image/png', buffer: pngBuffer(300, 150) });
  await expect(app.locator('#target-label')).toHaveText(/wide\.png · 128×64/);
  const s = await appState(app);
  expect(s.target).toMatchObject({ width: 128, height: 64 });
  expect(s.scene.width).toBe(128);
  expect(s.scene.height).toBe(64);
  // The disc is dark and left of centre, the background light.
  const t = await app.evaluate(() => (window as any).pelican.target());
  const at = (x: number, y: number) => t.pixels[y * t.width + x];
  expect(at(45, 32)).toBeLessThan(0.2);
  expect(at(5, 5)).toBeGreaterThan(0.85);
  await expect(app.locator('#error')).toBeHidden();
});

test('upload a JPEG and change the working resolution', async ({ app }) => {
  await app.setInputFiles('#file-input', { name: 'tall.jpg', mimeType: 'image/jpeg', buffer: jpegBuffer(120, 200) });
  await expect(app.locator('#target-label')).toHaveText(/tall\.jpg · 77×128/);
  await app.selectOption('#res-select', '64');
  await expect(app.locator('#target-label')).toHaveText(/tall\.jpg · 38×64/);
  const s = await appState(app);
  expect(s.scene).toMatchObject({ width: 38, height: 64 });
  await app.selectOption('#res-select', '256');
  await expect(app.locator('#target-label')).toHaveText(/tall\.jpg · 154×256/);
});

test('a corrupt file gives a clear error and the scene survives', async ({ app }) => {
  // Some work first, so there is something to lose.
  await app.locator('#shape-list li').nth(7).click();
  await app.click('#btn-shape-delete');
  const before = await appState(app);
  expect(before.scene.shapes).toHaveLength(8);

  const garbage = Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    Buffer.from('this is not really a png'),
  ]);
  await app.setInputFiles('#file-input', { name: 'broken.png', mimeType: 'image/png', buffer: garbage });
  await expect(app.locator('#error')).toBeVisible();
  await expect(app.locator('#error')).toContainText('broken.png could not be decoded');

  await app.setInputFiles('#file-input', { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('hello') });
  await expect(app.locator('#error')).toContainText('not an image type');

  const after = await appState(app);
  expect(after.scene).toEqual(before.scene);
  expect(after.target).toEqual(before.target);
  expect(after.stages).toEqual(before.stages);
  await expect(app.locator('#round-log li.error')).toHaveCount(2);
});

test('drop and paste an image', async ({ app }) => {
  const png = pngBuffer(200, 200).toString('base64');
  await app.evaluate(async (b64) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const dt = new DataTransfer();
    dt.items.add(new File([bytes], 'dropped.png', { type: 'image/png' }));
    window.dispatchEvent(new DragEvent('dragenter', { dataTransfer: dt }));
    window.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, cancelable: true }));
  }, png);
  await expect(app.locator('#target-label')).toHaveText(/dropped\.png · 128×128/);
  await expect(app.locator('#drop-hint')).toBeHidden();

  const jpg = jpegBuffer(160, 100).toString('base64');
  await app.evaluate(async (b64) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const dt = new DataTransfer();
    dt.items.add(new File([bytes], 'clip.jpg', { type: 'image/jpeg' }));
    window.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, cancelable: true }));
  }, jpg);
  await expect(app.locator('#target-label')).toHaveText(/clip\.jpg · 128×80/);
});
