// Scripts and test harnesses call the page's API as soon as it exists: pelican.py waits for
// Python (with a bound), and pelican.ready is a promise of the ready page.
import { test, expect } from './fixture';

test('pelican.py called before Python has loaded waits for it; pelican.ready is a promise', async ({
  page,
  pageProblems,
}) => {
  // A start from scratch, so Python is certainly still loading when the API appears.
  await page.goto('/?python=cold', { waitUntil: 'commit' });
  await page.waitForFunction(() => (window as any).pelican !== undefined, undefined, { polling: 10 });
  const out = await page.evaluate(async () => {
    const p = (window as any).pelican;
    const loadingAtCall = !p.state.pythonReady;
    const isPromise = p.ready instanceof Promise;
    const impatient = p.py('1', { timeout: 1 }).then(
      () => 'ran',
      (e: Error) => `${e.name}: ${e.message}`,
    );
    const value = await p.py('6 * 7');
    const state = await p.ready;
    return { loadingAtCall, isPromise, value, impatient: await impatient, readyPython: state.pythonReady };
  });
  expect(out.loadingAtCall, 'the call was made while Python was loading').toBe(true);
  expect(out.isPromise).toBe(true);
  expect(out.value).toBe(42);
  expect(out.readyPython).toBe(true);
  expect(out.impatient).toMatch(/^TimeoutError: pelican\.py: Python did not finish loading within 0\.001 s/);
  expect(pageProblems).toEqual([]);
});
