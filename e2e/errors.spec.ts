// Errors read as one line saying what was wrong, with the traceback one click away (a closed
// <details>), never a raw Python traceback in the banner; console tracebacks carry no frames of
// the page's own (bundled, minified) JavaScript or of Pyodide's machinery.
import { test, expect } from './fixture';
import type { Locator, Page } from '@playwright/test';

async function expectOneLine(error: Locator, line: RegExp) {
  await expect(error).toBeVisible({ timeout: 60_000 });
  const summary = error.locator('.error-line');
  await expect(summary).toHaveText(line);
  expect(await summary.textContent()).not.toContain('\n');
  expect(await summary.textContent()).not.toContain('Traceback');
  const details = error.locator('details');
  await expect(details).not.toHaveAttribute('open', /.*/);
  await expect(details.locator('pre')).toContainText('Traceback (most recent call last)');
  await details.locator('summary').click();
  await expect(details.locator('pre')).toBeVisible();
}

async function openLlm(app: Page) {
  await app.locator('#llm-box').evaluate((d) => ((d as HTMLDetailsElement).open = true));
}

test('a failing greedy run shows one line, the traceback on demand', async ({ app }) => {
  // The console's app.greedy goes through the page's own Greedy run; a bad proposal kind fails it in Python.
  await app.evaluate(() =>
    (window as any).pelican.py('await app.greedy(max_shapes=12, proposal="sideways")').catch(() => undefined),
  );
  await expectOneLine(app.locator('#error'), /^greedy refine failed: .*sideways/);
});

test('a malformed LLM base URL shows one line naming the field', async ({ app }) => {
  await openLlm(app);
  await app.selectOption('#llm-provider', 'openai');
  await app.fill('#llm-base', 'http://local host:8080/v1');
  await app.locator('#llm-base').dispatchEvent('change');
  await app.click('#btn-llm');
  await expectOneLine(app.locator('#error'), /^LLM refine failed: .*base_url: expected http\(s\):\/\/host/);
});

test('console tracebacks have no JavaScript or Pyodide frames', async ({ app }) => {
  await app.keyboard.press('`');
  const input = app.locator('#console-in');
  await input.fill(
    'app.scene = {"format": "pelican-scene", "version": 1, "width": 128, "height": 128, "shapes": [{"name": "c", "type": "circle", "cx": 2, "cy": 0.5, "r": 0.1, "intensity": 0.5}]}',
  );
  await input.press('Enter');
  const err = app.locator('#console-out .err').last();
  await expect(err).toContainText('shapes[0].cx: 2 is outside [0, 1]');
  const text = (await err.textContent())!;
  expect(text).not.toMatch(/^\s+at /m);
  expect(text).not.toMatch(/https?:\/\/|\.js:\d+|\.mjs:\d+/);
  expect(text).not.toMatch(/_pyodide|pyodide\/ffi|pyodide\.asm/);
});
