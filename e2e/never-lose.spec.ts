// The page never loses work: a new image (even one pasted by accident) can be undone, a reload in
// the middle of a run keeps its last accepted round and offers to resume it, and two tabs on one
// session each keep their own work.
import { test, expect, appState, waitReady } from './fixture';
import { pngBuffer } from './images';
import type { Page } from '@playwright/test';

async function setNumber(app: Page, id: string, v: number) {
  await app.fill(id, String(v));
  await app.locator(id).dispatchEvent('change');
}

async function paste(app: Page, name: string, buffer: Buffer) {
  await app.evaluate(
    async ([b64, n]) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const dt = new DataTransfer();
      dt.items.add(new File([bytes], n, { type: 'image/png' }));
      window.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, cancelable: true }));
    },
    [buffer.toString('base64'), name] as const,
  );
}

test('a pasted image can be undone: target, scene and timeline come back', async ({ app }) => {
  await setNumber(app, '#opt-steps', 40);
  await app.click('#btn-optimize');
  await expect(app.locator('#stat-stage')).toHaveText('idle', { timeout: 60_000 });
  const before = await appState(app);
  const targetBefore = await app.evaluate(() => (window as any).pelican.target());
  expect(before.stages.length).toBe(2);

  await paste(app, 'oops.png', pngBuffer(300, 150));
  await expect(app.locator('#target-label')).toHaveText(/oops\.png/);
  expect((await appState(app)).stages.length).toBe(1);
  await expect(app.locator('#notice')).toContainText('New image: oops.png');

  // Ctrl+Z from anywhere outside a text field.
  await app.locator('body').click({ position: { x: 5, y: 5 } });
  await app.keyboard.press('Control+z');
  await expect(app.locator('#target-label')).toHaveText(/built-in pelican/);
  const after = await appState(app);
  expect(after.scene).toEqual(before.scene);
  expect(after.stages).toEqual(before.stages);
  expect(after.target).toEqual(before.target);
  expect(after.lossHistory).toEqual(before.lossHistory);
  expect(await app.evaluate(() => (window as any).pelican.target())).toEqual(targetBefore);

  // And the Undo button of the notice, after a file picked by mistake.
  await app.setInputFiles('#file-input', { name: 'wrong.png', mimeType: 'image/png', buffer: pngBuffer(120, 200) });
  await expect(app.locator('#target-label')).toHaveText(/wrong\.png/);
  await app.locator('#notice button', { hasText: 'Undo' }).click();
  await expect(app.locator('#target-label')).toHaveText(/built-in pelican/);
  expect((await appState(app)).stages).toEqual(before.stages);
});

test('a reload mid-run keeps the last accepted round and offers to resume', async ({ app }) => {
  await setNumber(app, '#greedy-max', 40);
  await setNumber(app, '#greedy-candidates', 2);
  await app.click('#btn-greedy');
  await expect(app.locator('#round-log li.accept').first()).toBeVisible({ timeout: 120_000 });
  // The reload comes right after the save of an accepted round (no Stop, no idle time): a save
  // made during the greedy run whose scene holds that round's shapes. Saves before the run hold
  // the nine-shape start and no run, so this cannot hold before the round is on disk.
  const seen = await appState(app);
  const accepted = seen.scene.shapes.length;
  expect(accepted).toBeGreaterThan(9);
  const body = app.locator('body');
  const savedRound = async () =>
    (await body.getAttribute('data-saved-run')) === 'greedy' &&
    Number(await body.getAttribute('data-saved-shapes')) >= accepted;
  await expect.poll(savedRound, { timeout: 10_000 }).toBe(true);
  await app.reload();
  await waitReady(app);
  const restored = await appState(app);
  expect(restored.scene.shapes.length).toBeGreaterThanOrEqual(accepted);
  expect(restored.stages.at(-1)!.label).toMatch(/greedy round/);
  expect(restored.resume).toMatchObject({ kind: 'greedy' });
  await expect(app.locator('#notice')).toContainText('cut short by a reload');
  await app.locator('#notice button', { hasText: 'Resume' }).click();
  await expect(app.locator('#stat-stage')).toHaveText('greedy');
  await expect
    .poll(async () => (await appState(app)).scene.shapes.length, { timeout: 120_000 })
    .toBeGreaterThan(restored.scene.shapes.length);
  await app.click('#btn-stop');
  await expect(app.locator('#stat-stage')).toHaveText('stopped', { timeout: 60_000 });
});

test('two tabs on one session: the second forks its own, and neither overwrites the other', async ({
  app,
  context,
}) => {
  await app.locator('#shape-list li').nth(1).click();
  await app.click('#btn-shape-delete');
  await app.evaluate(() => (window as any).pelican.save());
  const first = await appState(app);

  const second = await context.newPage();
  await second.goto('/');
  await waitReady(second);
  await expect(second.locator('#notice')).toContainText('open in another tab');
  expect((await appState(second)).scene).toEqual(first.scene);
  // Each tab edits and saves its own session.
  await second.locator('#shape-list li').nth(0).click();
  await second.click('#btn-shape-delete');
  await second.evaluate(() => (window as any).pelican.save());
  const secondScene = (await appState(second)).scene;
  await app.locator('#shape-list li').nth(4).click();
  await app.click('#btn-shape-freeze');
  await app.evaluate(() => (window as any).pelican.save());
  const firstScene = (await appState(app)).scene;
  expect(secondScene).not.toEqual(firstScene);

  await app.reload();
  await waitReady(app);
  expect((await appState(app)).scene).toEqual(firstScene);
  await second.reload();
  await waitReady(second);
  expect((await appState(second)).scene).toEqual(secondScene);
  await expect(second.locator('#notice')).toBeHidden();
  await second.close();
});
