// Python runs in its own worker: a console command that never yields leaves the page responsive,
// and Ctrl+C / Esc interrupt it through Pyodide's interrupt buffer; code that does yield is
// cancelled at its await.
import { test, expect } from './fixture';

test('`while True: pass` in the console leaves the page responsive, and Ctrl+C interrupts it', async ({ app }) => {
  await app.keyboard.press('`');
  const input = app.locator('#console-in');
  await expect(app.locator('#console-out')).toContainText('even a loop that never yields');
  await input.fill('while True: pass');
  await input.press('Enter');
  await expect(input).toHaveClass(/busy/);
  // The page answers while Python spins: a click selects a shape, the devtools API answers.
  await app.locator('#shape-list li').first().click();
  await expect(app.locator('#shape-list li.selected')).toHaveCount(1);
  expect(await app.evaluate(() => (window as any).pelican.state.scene.shapes.length)).toBe(9);
  await expect(input).toHaveClass(/busy/);
  await input.press('Control+c');
  const err = app.locator('#console-out .err').last();
  await expect(err).toContainText('KeyboardInterrupt');
  await expect(input).not.toHaveClass(/busy/);
  await input.fill('6 * 7');
  await input.press('Enter');
  await expect(app.locator('#console-out')).toContainText(/^42$/m);
});

test('the Stop button is enabled while console code runs and interrupts `while True: pass`', async ({ app }) => {
  const stopButton = app.locator('#btn-stop');
  await expect(stopButton).toBeDisabled();
  await app.keyboard.press('`');
  const input = app.locator('#console-in');
  await input.fill('while True: pass');
  await input.press('Enter');
  await expect(input).toHaveClass(/busy/);
  await expect(stopButton).toBeEnabled();
  // Well past the grace the page gives the worker: Python holds its thread, not an await.
  await app.waitForTimeout(500);
  await expect(input).toHaveClass(/busy/);
  await stopButton.click();
  await expect(app.locator('#console-out .err').last()).toContainText('KeyboardInterrupt');
  await expect(input).not.toHaveClass(/busy/);
  await expect(stopButton).toBeDisabled();
  // Devtools code too, and Python answers after.
  await app.evaluate(() => {
    (window as any).runaway = (window as any).pelican.py('while True: pass').then(
      () => 'returned',
      (e: Error) => `${e.name}|${e.message}`,
    );
  });
  await expect(stopButton).toBeEnabled();
  await stopButton.click();
  expect(await app.evaluate(() => (window as any).runaway)).toContain('KeyboardInterrupt');
  await expect(stopButton).toBeDisabled();
  expect(await app.evaluate(() => (window as any).pelican.py('3 * 3'))).toBe(9);
});

test('a console loop that yields stops on Ctrl+C at once', async ({ app }) => {
  await app.keyboard.press('`');
  const input = app.locator('#console-in');
  await input.fill('import asyncio\nn = 0\nwhile True:\n    n += 1\n    await asyncio.sleep(0.01)\n');
  await input.press('Enter');
  await expect(input).toHaveClass(/busy/);
  await input.press('Control+c');
  const err = app.locator('#console-out .err').last();
  await expect(err).toContainText('KeyboardInterrupt');
  await expect(err).not.toContainText('holding the page');
  await expect(input).not.toHaveClass(/busy/);
});

test('pelican.py from devtools running away is stopped by Esc; Python works after', async ({ app }) => {
  await app.evaluate(() => {
    (window as any).runaway = (window as any).pelican.py('while True: pass').then(
      () => 'returned',
      (e: Error & { type?: string }) => `${e.name}|${e.type}|${e.message}`,
    );
  });
  // Well into the loop: the page's own API still answers.
  await app.waitForTimeout(500);
  expect(await app.evaluate(() => (window as any).pelican.state.pythonReady)).toBe(true);
  await app.locator('body').press('Escape');
  const out = await app.evaluate(() => (window as any).runaway);
  expect(out).toMatch(/^PythonError\|KeyboardInterrupt\|/);
  expect(out).toContain('KeyboardInterrupt');
  expect(await app.evaluate(() => (window as any).pelican.py('1 + 1'))).toBe(2);
});

test('Esc pressed before Python has even started the code still stops it', async ({ app }) => {
  // The call and the key in one turn of the page: the worker sees the interrupt before the code.
  await app.evaluate(() => {
    (window as any).early = (window as any).pelican.py('while True: pass').then(
      () => 'returned',
      (e: Error & { type?: string }) => `${e.name}|${e.type}|${e.message}`,
    );
    document.body.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }));
  });
  expect(await app.evaluate(() => (window as any).early)).toContain('KeyboardInterrupt');
  expect(await app.evaluate(() => (window as any).pelican.py('2 + 2'))).toBe(4);
});
