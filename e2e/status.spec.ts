// The status line, the error banner, the Loss figure and the chart tell the truth about a run:
// Stop ends in a stopped state, a search that hit its failure limit does not read as done, the
// Loss shown is the loss logged, candidate fits stay out of the chart, old errors go away, and
// runs on an empty scene say why they do nothing.
import { test, expect, appState } from './fixture';
import type { Page } from '@playwright/test';

async function setNumber(app: Page, id: string, v: number) {
  await app.fill(id, String(v));
  await app.locator(id).dispatchEvent('change');
}

const lossOf = (text: string) => Number(/loss (\d+\.\d+)/.exec(text)?.[1]);

test('the Loss figure is the loss the log reports, and candidate fits do not swamp the chart', async ({ app }) => {
  await setNumber(app, '#opt-steps', 60);
  await app.click('#btn-optimize');
  await expect(app.locator('#stat-stage')).toHaveText('idle', { timeout: 60_000 });
  let s = await appState(app);
  const optLine = s.log.at(-1)!.text;
  expect(optLine).toMatch(/^optimise: 60\/60 steps/);
  await expect(app.locator('#stat-loss')).toHaveText(lossOf(optLine).toFixed(5));

  const chartBefore = s.lossHistory.length;
  const lastBefore = s.lossHistory.at(-1)!;
  await setNumber(app, '#greedy-max', 11);
  await setNumber(app, '#greedy-candidates', 2);
  await app.click('#btn-greedy');
  await expect(app.locator('#stat-stage')).toHaveText('idle', { timeout: 180_000 });
  s = await appState(app);
  const accepted = s.log.filter((l) => l.kind === 'accept').length;
  expect(accepted).toBeGreaterThan(0);
  const added = s.lossHistory.slice(chartBefore);
  // One point per accepted round (and the final polish), not every step of every candidate's fit.
  expect(added.length).toBeLessThanOrEqual(accepted + 1);
  for (const v of added) expect(v).toBeLessThanOrEqual(lastBefore * 1.001);
  const greedyLine = s.log.at(-1)!.text;
  expect(greedyLine).toMatch(/^greedy: /);
  await expect(app.locator('#stat-loss')).toHaveText(lossOf(greedyLine).toFixed(5));
});

test('after Stop the status line says stopped, not stopping', async ({ app }) => {
  await setNumber(app, '#opt-steps', 5000);
  await app.click('#btn-optimize');
  await expect(app.locator('#stat-stage')).toHaveText('optimize');
  await app.click('#btn-stop');
  await expect(app.locator('#stat-stage')).toHaveText('stopped', { timeout: 60_000 });
  await expect(app.locator('#status')).not.toContainText('stopping');
  await expect(app.locator('#status')).toContainText('stopped');
});

test('a search that ends on its failure limit says so, not "done"', async ({ app }) => {
  // A blank target: every shape added to a white disc on white makes it worse.
  await app.evaluate(() =>
    (window as any).pelican.py(`
app.set_target([1.0] * (48 * 48), 48, 48, "blank")
app.scene = {"format": "pelican-scene", "version": 1, "width": 48, "height": 48,
             "shapes": [{"name": "dot", "type": "circle", "cx": 0.5, "cy": 0.5, "r": 0.05, "intensity": 0.98}]}
`),
  );
  await setNumber(app, '#greedy-max', 30);
  await setNumber(app, '#greedy-failures', 2);
  await setNumber(app, '#greedy-candidates', 1);
  await app.click('#btn-greedy');
  await expect(app.locator('#stat-stage')).not.toHaveText('greedy', { timeout: 180_000 });
  const s = await appState(app);
  const last = s.log.at(-1)!.text;
  expect(last).not.toMatch(/\bdone\b/);
  expect(last).toMatch(/failure limit/);
  await expect(app.locator('#status')).toContainText('failure limit');
});

test('an old error banner goes away on the next action', async ({ app }) => {
  await app.setInputFiles('#file-input', {
    name: 'broken.png',
    mimeType: 'image/png',
    buffer: Buffer.from('not a png at all'),
  });
  await expect(app.locator('#error')).toBeVisible();
  await app.locator('#shape-list li').nth(2).click();
  await app.click('#btn-shape-delete');
  await expect(app.locator('#shape-list li')).toHaveCount(8);
  await expect(app.locator('#error')).toBeHidden();
});

test('Optimise and Greedy on an empty scene say why they do nothing', async ({ app }) => {
  await app.evaluate(() => (window as any).pelican.py('d = app.scene\nd["shapes"] = []\napp.scene = d'));
  await expect(app.locator('#shape-list li')).toHaveCount(0);
  for (const button of ['#btn-optimize', '#btn-greedy', '#btn-run']) {
    await app.evaluate(() => ((document.getElementById('error') as HTMLElement).hidden = true));
    await app.click(button);
    await expect(app.locator('#error'), button).toBeVisible();
    await expect(app.locator('#error'), button).toContainText('no shapes');
  }
});
