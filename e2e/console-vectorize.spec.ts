// The README's console example for vectorize ("In the browser": app.target → pelican.Image →
// pelican.vectorize → app.show), read from README.md and typed into the page's console as it is
// written there, on a colour picture: the page must show a colour scene of the shapes it asked for.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test, expect, appState } from './fixture';
import { wavesPng } from './color-images';

const README = join(dirname(fileURLToPath(import.meta.url)), '..', 'README.md');

/** The example's lines, verbatim, from the README's Python block that calls vectorize. */
function readmeExample(): string {
  const blocks = [...readFileSync(README, 'utf8').matchAll(/```python\n([\s\S]*?)```/g)].map((m) => m[1]);
  const block = blocks.find((b) => b.includes('app.target') && b.includes('pelican.vectorize('));
  if (!block) throw new Error('README.md: no Python block with app.target and pelican.vectorize(');
  const wanted = [
    /^t = app\.target\b/,
    /^import pelican$/,
    /^target = pelican\.Image\(/,
    /^art = await pelican\.vectorize\(/,
    /^app\.show\(art\./,
  ];
  const lines = block.split('\n').filter((l) => wanted.some((re) => re.test(l.replace(/\s+#.*$/, ''))));
  expect(lines, 'the README example: target, Image, vectorize, show').toHaveLength(wanted.length);
  return lines.join('\n');
}

test("the README's vectorize example runs in the console and the page shows its colour scene", async ({ app }) => {
  test.setTimeout(240_000);
  const code = readmeExample();
  const shapes = Number(/shapes=(\d+)/.exec(code)?.[1]);
  expect(shapes, 'the example names its shape budget').toBeGreaterThan(0);

  await app.setInputFiles('#file-input', { name: 'waves.png', mimeType: 'image/png', buffer: wavesPng(96, 96) });
  await expect(app.locator('#target-label')).toContainText('waves.png');
  await expect(app.locator('#color-mode')).toHaveValue('color');

  await app.keyboard.press('`');
  await expect(app.locator('#console-in')).toBeFocused();
  await app.locator('#console-in').fill(code);
  await app.locator('#console-in').press('Control+End');
  await app.locator('#console-in').press('Enter');
  await expect(app.locator('#console-out .in').last()).toContainText('pelican.vectorize(');

  // The entry is echoed when it starts; the input is busy until it has run.
  await expect(app.locator('#console-in')).not.toHaveClass(/busy/, { timeout: 200_000 });
  expect(await app.locator('#console-out .err').allTextContents(), 'errors in the console').toEqual([]);
  await expect(app.locator('#stat-shapes')).toHaveText(String(shapes));
  const s = await appState(app);
  const scene = s.scene as unknown as {
    version: number;
    background: string;
    shapes: { color?: string; opacity?: number }[];
  };
  expect(scene.shapes).toHaveLength(shapes);
  expect(scene.version).toBe(2);
  expect(scene.background).toMatch(/^#[0-9a-f]{6}$/);
  // In colour: every shape has a colour, and they are far from one gray.
  const rgb = scene.shapes.map((sh) => {
    expect(sh.color, 'a colour shape').toMatch(/^#[0-9a-f]{6}$/);
    return [1, 3, 5].map((i) => parseInt(sh.color!.slice(i, i + 2), 16));
  });
  expect(Math.max(...rgb.map((c) => Math.max(...c) - Math.min(...c)))).toBeGreaterThan(100);
  // The stage is the example's label, with the PSNR the run reached.
  const label = s.stages.at(-1)!.label;
  expect(label).toMatch(/^vectorized: \d+\.\d dB$/);
  expect(Number(/([\d.]+) dB/.exec(label)![1])).toBeGreaterThan(18);
});
