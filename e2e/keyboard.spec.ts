// Keyboard and phone: "Open image…" and "Import scene…" are reached with Tab and work with
// Enter, shape rows and timeline entries take the focus and act on Enter, and at phone width
// "Open image…" is near the top and every control is at least 44 px tall.
import { test, expect, appState } from './fixture';
import { pngBuffer } from './images';
import type { FileChooser, Page } from '@playwright/test';

interface Want {
  selector?: string;
  /** The start of the element's text. */
  text?: string;
}

/** Presses Tab until the focused element is the one wanted, as a keyboard-only user would. */
async function tabTo(app: Page, want: Want, max = 80) {
  for (let i = 0; i < max; i++) {
    await app.keyboard.press('Tab');
    const hit = await app.evaluate(({ selector, text }) => {
      const el = document.activeElement;
      if (!el || el === document.body) return false;
      if (selector && !el.matches(selector)) return false;
      return !text || (el.textContent ?? '').trim().startsWith(text);
    }, want);
    if (hit) return;
  }
  throw new Error(`not reachable with Tab: ${JSON.stringify(want)}`);
}

test('Open image and Import scene are reached with Tab and open the file pickers', async ({ app }) => {
  // One listener for the whole test keeps Playwright's file-chooser interception on throughout
  // (a per-click waitForEvent turns it on asynchronously, and may lose the race with the key).
  const choosers: FileChooser[] = [];
  app.on('filechooser', (c) => choosers.push(c));
  const nextChooser = async () => {
    await expect.poll(() => choosers.length).toBeGreaterThan(0);
    return choosers.shift()!;
  };
  await tabTo(app, { selector: 'button', text: 'Open image…' });
  await app.keyboard.press('Enter');
  const chooser = await nextChooser();
  await chooser.setFiles({ name: 'keyed.png', mimeType: 'image/png', buffer: pngBuffer(200, 100) });
  await expect(app.locator('#target-label')).toHaveText(/keyed\.png/);

  // The export panel is closed: its summary opens it from the keyboard, then the import button.
  await tabTo(app, { selector: 'summary', text: 'Export / import' });
  await app.keyboard.press('Enter');
  await tabTo(app, { selector: 'button', text: 'Import scene' });
  await app.keyboard.press('Enter');
  const picker = await nextChooser();
  const scene = (await appState(app)).scene;
  scene.shapes = scene.shapes.slice(0, 4);
  await picker.setFiles({
    name: 'four.json',
    mimeType: 'application/json',
    buffer: Buffer.from(JSON.stringify(scene)),
  });
  await expect(app.locator('#shape-list li')).toHaveCount(4);
});

test('shape rows and timeline entries take the focus and act on Enter', async ({ app }) => {
  await tabTo(app, { selector: '#shape-list li' });
  await app.keyboard.press('Tab');
  await app.keyboard.press('Tab');
  const focused = await app.evaluate(() => (document.activeElement as HTMLElement).dataset.index);
  expect(focused).toBe('2');
  await app.keyboard.press('Enter');
  await expect(app.locator('#shape-list li.selected')).toHaveAttribute('data-index', '2');
  await app.keyboard.press('Delete');
  await expect(app.locator('#shape-list li')).toHaveCount(8);
  // The focus stays in the list after the redraw.
  expect(await app.evaluate(() => document.activeElement?.closest('#shape-list') !== null)).toBe(true);

  await tabTo(app, { selector: '#timeline li' });
  expect(await app.evaluate(() => (document.activeElement as HTMLElement).dataset.index)).toBe('0');
  await app.keyboard.press('Enter');
  await expect(app.locator('#shape-list li')).toHaveCount(9);
  expect((await appState(app)).current).toBe(0);
});

test.describe('phone width', () => {
  test.use({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true });

  test('"Open image…" is near the top and controls are at least 44 px tall', async ({ app }) => {
    const open = await app.locator('#btn-open').boundingBox();
    expect(open!.y).toBeLessThan(300);
    const small = await app.evaluate(() => {
      const out: string[] = [];
      for (const el of document.querySelectorAll<HTMLElement>(
        'button, .button-like, select, input, textarea, summary',
      )) {
        if ((el as HTMLInputElement).type === 'checkbox' || el.closest('dialog')) continue;
        const r = el.getBoundingClientRect();
        if (r.width === 0 || r.height === 0) continue; // not shown (closed panel, hidden input)
        if (r.height < 44)
          out.push(
            `${el.id || el.tagName.toLowerCase() + ':' + (el.textContent ?? '').trim().slice(0, 20)} ${Math.round(r.height)}px`,
          );
      }
      return out;
    });
    expect(small).toEqual([]);
  });
});
