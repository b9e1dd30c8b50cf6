// The shape list: select to highlight, delete, freeze, reorder — each a stage in the timeline.
import { test, expect, appState } from './fixture';

test('select, freeze, reorder and delete shapes', async ({ app }) => {
  const items = app.locator('#shape-list li');
  await expect(items).toHaveCount(9);
  await items.nth(2).click();
  await expect(items.nth(2)).toHaveClass(/selected/);
  // The highlight is drawn over the render.
  const drawn = await app.evaluate(() => {
    const c = document.getElementById('overlay-canvas') as HTMLCanvasElement;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
    return n;
  });
  expect(drawn).toBeGreaterThan(20);

  await app.click('#btn-shape-freeze');
  let s = await appState(app);
  expect(s.scene.shapes[2]).toMatchObject({ name: 'head', frozen: true });
  await expect(items.nth(2)).toHaveClass(/frozen/);

  await app.click('#btn-shape-up');
  s = await appState(app);
  expect(s.scene.shapes[3].name).toBe('head');
  await app.keyboard.press('[');
  s = await appState(app);
  expect(s.scene.shapes[2].name).toBe('head');

  await app.keyboard.press('Delete');
  s = await appState(app);
  expect(s.scene.shapes.map((x) => x.name)).not.toContain('head');
  expect(s.stages.map((x) => x.label)).toEqual([
    'initial pelican',
    'freeze head',
    'move head forward',
    'move head back',
    'delete head',
  ]);
  await expect(app.locator('#stat-shapes')).toHaveText('8');
});
