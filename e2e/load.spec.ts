// First contact: the page opens offline, shows the built-in target at once, says what it is
// loading, becomes ready, and is served with the isolation and CSP headers.
import { test, expect, appState, waitReady } from './fixture';

test('the default target shows within a second and the app gets ready', async ({ page, blocked, pageProblems }) => {
  // Every text the status line shows, in order, recorded from the first paint on.
  await page.addInitScript(() => {
    const seen: string[] = ((window as any).__status = []);
    new MutationObserver(() => {
      const t = document.getElementById('status')?.textContent ?? '';
      if (t && seen[seen.length - 1] !== t) seen.push(t);
    }).observe(document, { subtree: true, childList: true, characterData: true });
  });
  const response = await page.goto('/');
  const h = response!.headers();
  expect(h['cross-origin-opener-policy']).toBe('same-origin');
  expect(h['cross-origin-embedder-policy']).toBe('require-corp');
  const csp = h['content-security-policy'];
  expect(csp).toContain("default-src 'self'");
  expect(csp).toContain("script-src 'self' 'wasm-unsafe-eval'");
  expect(csp).not.toContain('unsafe-inline');
  expect(csp).not.toMatch(/script-src[^;]*(https:|\*)/);

  await waitReady(page);
  // The status line said what was loading before it said ready.
  const statuses: string[] = await page.evaluate(() => (window as any).__status);
  expect(statuses.some((t) => /loading Python/.test(t))).toBe(true);
  expect(statuses.findIndex((t) => /loading Python/.test(t))).toBeLessThan(statuses.findIndex((t) => /^ready/.test(t)));
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
  const s = await appState(page);
  test.info().annotations.push({ type: 'timings (ms since navigation)', description: JSON.stringify(s.timings) });
  // How fast is a benchmark's business (npm run bench: app load); here only the order counts.
  expect(s.timings.firstRender).toBeLessThan(s.timings.pythonReady);
  await expect(page.locator('#status')).toHaveText(/^ready/);

  // The target canvas holds the pelican: dark body on a light sky, not a blank canvas.
  const stats = await page.evaluate(() => {
    const c = document.getElementById('target-canvas') as HTMLCanvasElement;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let dark = 0;
    let light = 0;
    for (let i = 0; i < d.length; i += 4) {
      if (d[i] < 90) dark++;
      if (d[i] > 200) light++;
    }
    return { dark: dark / (d.length / 4), light: light / (d.length / 4), w: c.width, h: c.height };
  });
  expect(stats.w).toBe(128);
  expect(stats.dark).toBeGreaterThan(0.05);
  expect(stats.light).toBeGreaterThan(0.3);
  expect(s.scene.shapes.map((x) => x.name)).toEqual([
    'body',
    'neck',
    'head',
    'beak_upper',
    'beak_lower',
    'wing',
    'tail',
    'eye',
    'feet',
  ]);

  expect(blocked, 'requests outside 127.0.0.1').toEqual([]);
  expect(pageProblems).toEqual([]);
});

test('keyboard shortcuts and the theme switch work', async ({ app }) => {
  const before = await app.evaluate(() => document.documentElement.dataset.theme);
  await app.keyboard.press('t');
  const after = await app.evaluate(() => document.documentElement.dataset.theme);
  expect(after).not.toBe(before);
  await app.keyboard.press('j');
  await expect(app.locator('#shape-list li.selected')).toHaveCount(1);
  await expect(app.locator('#shape-list li.selected .name')).toHaveText('body');
  await app.keyboard.press('?');
  await expect(app.locator('#help')).toBeVisible();
  await app.keyboard.press('Escape');
  await expect(app.locator('#help')).toBeHidden();
});

test('the layout fits a phone screen without horizontal scrolling', async ({ app }) => {
  await app.setViewportSize({ width: 390, height: 844 });
  await expect
    .poll(() => app.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth))
    .toBeLessThanOrEqual(0);
  await expect(app.locator('#btn-run')).toBeVisible();
  await expect(app.locator('#target-canvas')).toBeVisible();
});
