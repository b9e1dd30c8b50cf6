// Pictures of the main states for the README. Each one is taken only after the state it shows
// has been checked, so a broken page cannot produce a "good" screenshot. A test run writes them
// under build/ (tests never touch tracked files); `npm run screenshots` writes docs/screenshots/.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test, expect, appState } from './fixture';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = process.env.PELICAN_SCREENSHOTS_DIR ?? join(root, 'build', 'screenshots');

test.use({ viewport: { width: 1180, height: 800 } });

test('screenshots of start, optimised, dark with console, and phone', async ({ app }) => {
  await expect(app.locator('#status')).toHaveText(/^ready/);
  await app.screenshot({ path: join(out, '01-start.png') });

  await app.fill('#opt-steps', '300');
  await app.locator('#opt-steps').dispatchEvent('change');
  await app.click('#btn-optimize');
  await expect(app.locator('#stat-stage')).toHaveText('idle', { timeout: 60_000 });
  expect((await appState(app)).lossHistory).toHaveLength(300);
  await app.locator('#shape-list li').nth(5).click();
  await app.screenshot({ path: join(out, '02-optimised.png') });

  await app.keyboard.press('t');
  await app.keyboard.press('`');
  await app.locator('#console-in').fill('[s["name"] for s in app.scene["shapes"]][:4]');
  await app.locator('#console-in').press('Enter');
  await expect(app.locator('#console-out')).toContainText("['body', 'neck', 'head', 'beak_upper']");
  for (const id of ['#panel-input', '#panel-run', '#panel-log'])
    await app.locator(id).evaluate((d) => ((d as HTMLDetailsElement).open = false));
  await app.evaluate(() => scrollTo(0, 0));
  await app.screenshot({ path: join(out, '03-dark-console.png'), fullPage: false });

  await app.setViewportSize({ width: 390, height: 844 });
  await expect.poll(() => app.evaluate(() => document.documentElement.scrollWidth <= innerWidth)).toBe(true);
  await app.evaluate(() => scrollTo(0, 0));
  await app.screenshot({ path: join(out, '04-phone.png') });
});

test('screenshot after the full pipeline', async ({ app }) => {
  await app.fill('#opt-steps', '300');
  await app.locator('#opt-steps').dispatchEvent('change');
  await app.fill('#greedy-max', '20');
  await app.locator('#greedy-max').dispatchEvent('change');
  await app.locator('#greedy-max').blur();
  await app.keyboard.press('r');
  await expect(app.locator('#stat-stage')).toHaveText('pipeline');
  await expect(app.locator('#stat-stage')).toHaveText('idle', { timeout: 180_000 });
  const s = await appState(app);
  expect(s.scene.shapes.length).toBeGreaterThan(12);
  await app.locator('#panel-input').evaluate((d) => ((d as HTMLDetailsElement).open = false));
  await app.locator('#panel-run').evaluate((d) => ((d as HTMLDetailsElement).open = false));
  await app.screenshot({ path: join(out, '05-pipeline.png') });
});
