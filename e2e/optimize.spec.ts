// Running the optimiser: the loss falls, the render changes, and Stop keeps the best result.
import { test, expect, appState, renderPixels, meanAbsDiff } from './fixture';

test('optimise: the loss falls and the render changes', async ({ app }) => {
  const before = await renderPixels(app);
  await app.fill('#opt-steps', '200');
  await app.locator('#opt-steps').dispatchEvent('change');
  // Main-thread tasks longer than 50 ms during the run: the compute must stay in the worker.
  await app.evaluate(() => {
    (window as any).__long = [];
    new PerformanceObserver((l) => l.getEntries().forEach((e) => (window as any).__long.push(e.duration))).observe({
      type: 'longtask',
    });
  });
  await app.click('#btn-optimize');
  await expect(app.locator('#stat-stage')).toHaveText('optimize');
  await expect(app.locator('#stat-stage')).toHaveText('idle', { timeout: 60_000 });

  const s = await appState(app);
  expect(s.lossHistory.length).toBe(200);
  const first = s.lossHistory.slice(0, 5).reduce((a, b) => a + b) / 5;
  const best = Math.min(...s.lossHistory);
  expect(best).toBeLessThan(first * 0.8);
  expect(s.stages.at(-1)!.label).toMatch(/optimise \(200 steps\)/);
  // The stage (and the log) carry the kept scene's loss as the Loss figure shows it; the chart's
  // points are the fit's own, taken during the steps, so they differ a little from it.
  expect(s.stages.at(-1)!.loss).toBeCloseTo(s.breakdown!.total, 5);
  await expect(app.locator('#stat-loss')).toHaveText(s.stages.at(-1)!.loss!.toFixed(5));
  expect(Math.abs(s.stages.at(-1)!.loss! - best) / best).toBeLessThan(0.05);
  await expect(app.locator('#stat-step')).toHaveText('200/200');
  const longTasks: number[] = await app.evaluate(() => (window as any).__long);
  expect(Math.max(0, ...longTasks), `long tasks: ${longTasks.join(', ')}`).toBeLessThan(200);

  const after = await renderPixels(app);
  expect(meanAbsDiff(before, after)).toBeGreaterThan(0.01);
  // The chart received every step.
  await expect(app.locator('#chart .u-over')).toBeVisible();
});

test('stop mid-run keeps the best result so far, and resume continues', async ({ app }) => {
  await app.fill('#opt-steps', '5000');
  await app.locator('#opt-steps').dispatchEvent('change');
  await app.click('#btn-optimize');
  await expect.poll(async () => (await appState(app)).steps, { timeout: 30_000 }).toBeGreaterThan(30);
  // The page stays responsive while the worker runs.
  const t = Date.now();
  await app.evaluate(() => 1 + 1);
  expect(Date.now() - t).toBeLessThan(1000);
  await app.keyboard.press('Escape');
  await expect(app.locator('#stat-stage')).toHaveText('stopped', { timeout: 10_000 });
  const s = await appState(app);
  expect(s.steps).toBeLessThan(5000);
  const stage = s.stages.at(-1)!;
  expect(stage.label).toMatch(/stopped at \d+\/5000/);
  expect(stage.loss).toBeCloseTo(s.breakdown!.total, 5);
  expect(Math.abs(stage.loss! - Math.min(...s.lossHistory)) / stage.loss!).toBeLessThan(0.05);
  expect(s.resume).toMatchObject({ kind: 'optimize' });

  await expect(app.locator('#btn-resume')).toBeEnabled();
  await app.click('#btn-resume');
  await expect.poll(async () => (await appState(app)).steps, { timeout: 30_000 }).toBeGreaterThan(s.steps + 10);
  await app.click('#btn-stop');
  await expect(app.locator('#stat-stage')).toHaveText('stopped', { timeout: 10_000 });
});

test('the timeline steps back to an earlier stage', async ({ app }) => {
  await app.fill('#opt-steps', '60');
  await app.locator('#opt-steps').dispatchEvent('change');
  await app.click('#btn-optimize');
  await expect(app.locator('#stat-stage')).toHaveText('idle', { timeout: 60_000 });
  const initial = (await appState(app)).stages[0];
  expect(initial.label).toBe('initial pelican');
  await app.locator('#timeline li').first().click();
  const s = await appState(app);
  expect(s.current).toBe(0);
  expect(s.scene.shapes[0].cx).toBeCloseTo(0.42, 5);
  await app.keyboard.press('z'); // already at the first stage: nothing changes
  expect((await appState(app)).current).toBe(0);
});
