// Greedy refinement from the page: shapes are added round by round on the engine pool, each
// round is logged, and Stop keeps every accepted shape.
import { test, expect, appState } from './fixture';
import type { Page } from '@playwright/test';

async function setNumber(app: Page, id: string, v: number) {
  await app.fill(id, String(v));
  await app.locator(id).dispatchEvent('change');
}

test('greedy refinement adds shapes and logs every round', async ({ app }) => {
  await setNumber(app, '#greedy-max', 12);
  await setNumber(app, '#greedy-candidates', 2);
  await app.click('#btn-greedy');
  await expect(app.locator('#stat-stage')).toHaveText('greedy');
  await expect(app.locator('#stat-stage')).toHaveText('idle', { timeout: 180_000 });
  const s = await appState(app);
  expect(s.scene.shapes.length).toBeGreaterThan(9);
  expect(s.scene.shapes.length).toBeLessThanOrEqual(12);
  const accepted = s.log.filter((l) => l.kind === 'accept');
  expect(accepted.length).toBe(s.scene.shapes.length - 9);
  expect(s.stages.some((st) => /greedy round/.test(st.label))).toBe(true);
  await expect(app.locator('#stat-shapes')).toHaveText(String(s.scene.shapes.length));
  await expect(app.locator('#round-log li.accept').first()).toContainText(/round \d+: accept/);
  // Accepted rounds lower the loss.
  const losses = s.stages.filter((st) => /greedy round/.test(st.label)).map((st) => st.loss!);
  for (let i = 1; i < losses.length; i++) expect(losses[i]).toBeLessThan(losses[i - 1]);
});

test('one click runs the full pipeline: optimise, then greedy', async ({ app }) => {
  await setNumber(app, '#opt-steps', 150);
  await setNumber(app, '#greedy-max', 11);
  await setNumber(app, '#greedy-candidates', 2);
  await app.click('#btn-run');
  await expect(app.locator('#stat-stage')).toHaveText('pipeline');
  await expect(app.locator('#stat-stage')).toHaveText('idle', { timeout: 180_000 });
  const s = await appState(app);
  const labels = s.stages.map((x) => x.label);
  expect(labels[1]).toMatch(/optimise \(150 steps\)/);
  expect(labels.some((l) => /greedy/.test(l))).toBe(true);
  expect(s.scene.shapes.length).toBeGreaterThan(9);
});

test('stop during greedy keeps the accepted shapes', async ({ app }) => {
  await setNumber(app, '#greedy-max', 40);
  await setNumber(app, '#greedy-candidates', 2);
  await app.click('#btn-greedy');
  await expect(app.locator('#round-log li.accept').first()).toBeVisible({ timeout: 120_000 });
  await app.click('#btn-stop');
  await expect(app.locator('#stat-stage')).toHaveText('stopped', { timeout: 60_000 });
  const s = await appState(app);
  expect(s.scene.shapes.length).toBeGreaterThanOrEqual(10);
  expect(s.scene.shapes.length).toBeLessThan(40);
  expect(s.resume).toMatchObject({ kind: 'greedy' });
  await expect(app.locator('#btn-resume')).toBeEnabled();
});
