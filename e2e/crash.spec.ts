// A crash inside the Wasm engine replaces the worker; the page keeps its scene and carries on.
import { test, expect, appState, renderPixels, meanAbsDiff } from './fixture';

test('a crashed worker is replaced without losing the scene', async ({ app }) => {
  await app.fill('#opt-steps', '60');
  await app.locator('#opt-steps').dispatchEvent('change');
  await app.click('#btn-optimize');
  await expect(app.locator('#stat-stage')).toHaveText('idle', { timeout: 60_000 });
  const before = await appState(app);
  const pixelsBefore = await renderPixels(app);

  const crash = await app.evaluate(async () => {
    const e = await (window as any).pelican.engine();
    const gen = e.generation;
    const err = await e.debugAbort().then(
      () => null,
      (x: Error) => x.name,
    );
    return { gen, err, after: e.generation };
  });
  expect(crash.err).toBe('EngineCrashed');
  expect(crash.after).toBe(crash.gen + 1);

  // Same scene, same pixels, and the engine still optimises.
  expect((await appState(app)).scene).toEqual(before.scene);
  expect(meanAbsDiff(await renderPixels(app), pixelsBefore)).toBeLessThan(1e-6);
  await app.click('#btn-optimize');
  await expect(app.locator('#stat-stage')).toHaveText('idle', { timeout: 60_000 });
  const s = await appState(app);
  expect(s.lossHistory.length).toBe(120);
  expect(s.stages.at(-1)!.label).toMatch(/optimise \(60 steps\)/);
});
