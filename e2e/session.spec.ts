// Nothing is lost on reload: target, scene, timeline, log and settings come back; a key is
// kept only when the user asked for it.
import { test, expect, appState, waitReady } from './fixture';
import { pngBuffer } from './images';

test('reload restores the session, without a non-remembered key', async ({ app }) => {
  await app.setInputFiles('#file-input', { name: 'wide.png', mimeType: 'image/png', buffer: pngBuffer(300, 150) });
  await expect(app.locator('#target-label')).toHaveText(/wide\.png/);
  await app.locator('#shape-list li').nth(3).click();
  await app.click('#btn-shape-delete');
  await app.fill('#greedy-max', '17');
  await app.locator('#greedy-max').dispatchEvent('change');
  await app.locator('#llm-box').evaluate((d) => ((d as HTMLDetailsElement).open = true));
  await app.fill('#llm-key', 'sk-not-remembered');
  const before = await appState(app);
  await app.evaluate(() => (window as any).pelican.save());

  await app.reload();
  await waitReady(app);
  const after = await appState(app);
  expect(after.scene).toEqual(before.scene);
  expect(after.target).toEqual(before.target);
  expect(after.stages).toEqual(before.stages);
  await expect(app.locator('#status')).toContainText('session restored');
  await expect(app.locator('#greedy-max')).toHaveValue('17');
  await expect(app.locator('#llm-key')).toHaveValue('');
  const t = await app.evaluate(() => (window as any).pelican.target());
  expect(t.pixels[32 * t.width + 45]).toBeLessThan(0.2);

  // Remembered on request.
  await app.locator('#llm-box').evaluate((d) => ((d as HTMLDetailsElement).open = true));
  await app.check('#llm-remember');
  await app.fill('#llm-key', 'sk-remembered');
  await app.evaluate(() => (window as any).pelican.save());
  await app.reload();
  await waitReady(app);
  await expect(app.locator('#llm-key')).toHaveValue('sk-remembered');
});
