// How Python starts on the page: resumed from the build's snapshot (py/host/make-snapshot.mjs),
// in a state a fresh start would have given this visitor; and from scratch, still working, when
// the snapshot is missing or broken. A visitor far from the build machine's UTC and C locale.
import { test, expect, appState, waitReady } from './fixture';
import type { Page } from '@playwright/test';

test.use({ timezoneId: 'America/New_York', locale: 'de-DE' });

// Everything a Python program could have taken from its start-up surroundings.
const PROBE = `
import json, os, random, sys, time
json.dumps(dict(
    environ=dict(os.environ), executable=sys.executable, argv=sys.argv, path=sys.path, cwd=os.getcwd(),
    tz=[time.timezone, time.altzone, time.daylight, list(time.tzname)], epoch=list(time.localtime(0))[:6],
    flags=str(sys.flags), platform=sys.platform, encoding=sys.getfilesystemencoding(),
    random=random.random(),
    pelican=sorted(m for m in sys.modules if m == 'pelican' or m.startswith('pelican.'))))
`;

async function probe(page: Page) {
  return JSON.parse((await page.evaluate((code) => (window as any).pelican.py(code), PROBE)) as string);
}

test('Python resumes from the snapshot in the state a fresh start gives this visitor', async ({ page }) => {
  // Why a start fell back to scratch, if one does (python.ts and the worker warn).
  const warnings: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'warning') warnings.push(m.text());
  });
  page.on('worker', (w) => w.on('console', (m) => warnings.push(`worker: ${m.text()}`)));
  await page.goto('/?python=cold');
  await waitReady(page);
  expect((await appState(page)).pythonStart).toBe('cold');
  const fresh = await probe(page);

  await page.goto('/');
  await waitReady(page);
  const s = await appState(page);
  expect(s.pythonStart, warnings.join('\n')).toBe('snapshot');
  test.info().annotations.push({ type: 'timings (ms since navigation)', description: JSON.stringify(s.timings) });
  const resumed = await probe(page);
  const { random: r1, pelican: resumedModules, ...resumedRest } = resumed;
  const { random: r0, pelican: freshModules, ...freshRest } = fresh;
  expect(resumedRest).toEqual(freshRest);
  expect(fresh.tz).toEqual([18000, 14400, 1, ['UTC-0500', 'UTC-0400']]);
  expect(fresh.environ.LANG).toBe('de_DE.UTF-8');
  // The snapshot holds every pelican module already; a fresh start imports what `import pelican` needs.
  expect(resumedModules).toEqual(expect.arrayContaining(freshModules));
  expect(resumedModules).toContain('pelican.llm.refine');

  await page.reload();
  await waitReady(page);
  expect((await appState(page)).pythonStart, warnings.join('\n')).toBe('snapshot');
  const again = await probe(page);
  expect(new Set([r0, r1, again.random]).size, 'every visit draws its own random numbers').toBe(3);

  // And it is the real thing: the console's pelican runs an optimisation on the engine.
  const run = await page.evaluate(() => (window as any).pelican.py('await app.optimize(steps=5)'));
  expect(run).toMatchObject({ steps_completed: 5, cancelled: false });
});

for (const [label, damage] of [
  ['missing', 'missing'],
  ['not a snapshot', 'garbage'],
  ['cut short', 'truncated'],
] as const) {
  test(`with the snapshot ${label}, Python starts from scratch and works`, async ({ page, pageProblems }) => {
    let asked = 0;
    await page.route(/\/pyodide\/pelican-[0-9a-f]+\.snapshot\.bin$/, async (route) => {
      asked++;
      if (damage === 'missing') return route.fulfill({ status: 404, body: '' });
      if (damage === 'garbage')
        return route.fulfill({ status: 200, contentType: 'application/octet-stream', body: Buffer.alloc(4096, 7) });
      // A real file, cut after its header: Pyodide has started compiling when the rest is missing.
      const real = await route.fetch();
      return route.fulfill({ response: real, body: (await real.body()).subarray(0, 100_000) });
    });
    await page.goto('/');
    await waitReady(page);
    expect(asked).toBe(1);
    expect((await appState(page)).pythonStart).toBe('cold');
    expect(await page.evaluate(() => (window as any).pelican.py('import pelican; 6 * 7'))).toBe(42);
    expect(pageProblems).toEqual([]);
  });
}
