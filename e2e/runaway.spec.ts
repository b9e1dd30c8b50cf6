// Python runs on the page's thread (until it moves to a worker): a console command that never
// yields must not freeze the tab for good. A watchdog thread interrupts it after its time budget
// and the console says why; code that does yield stops on Ctrl+C.
import { test, expect } from './fixture';

test('`while True: pass` in the console is interrupted, says why, and the console works after', async ({ app }) => {
  await app.keyboard.press('`');
  const input = app.locator('#console-in');
  await expect(app.locator('#console-out')).toContainText('without yielding is interrupted');
  await input.fill('while True: pass');
  await input.press('Enter');
  const err = app.locator('#console-out .err').last();
  await expect(err).toContainText('KeyboardInterrupt: interrupted after holding the page for more than 10 s', { timeout: 90_000 });
  await expect(err).toContainText('await asyncio.sleep(0)');
  await input.fill('6 * 7');
  await input.press('Enter');
  await expect(app.locator('#console-out')).toContainText(/^42$/m);
  // The page answers again: a button works.
  await app.locator('#shape-list li').first().click();
  await expect(app.locator('#shape-list li.selected')).toHaveCount(1);
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

test('pelican.py from devtools is guarded the same way', async ({ app }) => {
  const out = await app.evaluate(() => (window as any).pelican.py('while True: pass').then(() => 'returned', (e: Error) => e.message));
  expect(out).toContain('KeyboardInterrupt: interrupted after holding the page');
  expect(await app.evaluate(() => (window as any).pelican.py('1 + 1'))).toBe(2);
});
