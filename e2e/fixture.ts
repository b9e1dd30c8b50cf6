// Each test gets a page of the built app whose engine and Python are ready, in a context that
// cannot reach anything but 127.0.0.1 (the app must work offline), and fails on uncaught page
// errors and Content-Security-Policy violations.
import { test as base, expect, type Page } from '@playwright/test';

export interface AppFixtures {
  /** The app, loaded and ready (engine + Pyodide). */
  app: Page;
  /** Requests the page tried to send outside 127.0.0.1 (all of them were blocked). */
  blocked: string[];
  /** Uncaught errors and CSP violations seen by the page. */
  pageProblems: string[];
}

export const test = base.extend<AppFixtures>({
  blocked: async ({}, use) => {
    await use([]);
  },
  pageProblems: async ({}, use) => {
    await use([]);
  },
  page: async ({ page, blocked, pageProblems }, use) => {
    await page.context().route('**/*', (route) => {
      const url = new URL(route.request().url());
      if (url.hostname === '127.0.0.1' || url.protocol === 'blob:' || url.protocol === 'data:') return route.continue();
      blocked.push(url.href);
      return route.abort('internetdisconnected');
    });
    page.on('pageerror', (e) => pageProblems.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error' && /Content Security Policy|Refused to/i.test(m.text()))
        pageProblems.push(`csp: ${m.text()}`);
    });
    await use(page);
  },
  app: async ({ page, pageProblems, blocked }, use) => {
    await page.goto('/');
    await waitReady(page);
    await use(page);
    expect(pageProblems, 'uncaught errors / CSP violations on the page').toEqual([]);
    expect(blocked, 'requests outside 127.0.0.1').toEqual([]);
  },
});

export async function waitReady(page: Page) {
  await expect(page.locator('body')).toHaveAttribute('data-ready', /.+/, { timeout: 60_000 });
  const ready = await page.locator('body').getAttribute('data-ready');
  if (ready !== 'true')
    throw new Error(
      `the app did not get ready: ${await page.locator('#status').textContent()} ${await page.locator('#error').textContent()}`,
    );
}

export interface AppState {
  scene: {
    width: number;
    height: number;
    shapes: { name: string; type: string; intensity: number; frozen?: boolean; cx?: number }[];
  };
  stages: { label: string; loss: number | null; shapes: number }[];
  current: number;
  log: { kind: string; text: string }[];
  running: string | null;
  resume: unknown;
  breakdown: { total: number; mse: number } | null;
  steps: number;
  frames: number;
  lossHistory: number[];
  target: { width: number; height: number; label: string };
  timings: Record<string, number>;
  pythonStart: 'snapshot' | 'cold' | null;
}

/** Optimise the current scene for `steps` steps and wait until the page is idle again. */
export async function optimise(app: Page, steps = 120) {
  await app.fill('#opt-steps', String(steps));
  await app.locator('#opt-steps').dispatchEvent('change');
  await app.click('#btn-optimize');
  await expect(app.locator('#stat-stage')).toHaveText('idle', { timeout: 60_000 });
}

export function appState(page: Page): Promise<AppState> {
  return page.evaluate(() => (window as unknown as { pelican: { state: AppState } }).pelican.state);
}

export function renderPixels(page: Page, w?: number, h?: number): Promise<number[]> {
  return page.evaluate(
    ([a, b]) =>
      (window as unknown as { pelican: { render(w?: number, h?: number): Promise<number[]> } }).pelican.render(a, b),
    [w, h] as const,
  );
}

export function meanAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i] - b[i]);
  return s / a.length;
}

export { expect };
