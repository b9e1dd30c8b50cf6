// Keyboard and phone: "Open image…" and "Import scene…" are reached with Tab and work with
// Enter, shape rows and timeline entries take the focus and act on Enter, and at phone width
// "Open image…" is near the top and every control (a checkbox through its label, every panel
// open) is at least 44 px tall.
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
      // Every panel open (nested ones too), so no control escapes by being folded away.
      for (const d of document.querySelectorAll('details')) d.open = true;
      const out: string[] = [];
      const name = (el: HTMLElement) =>
        el.id || el.tagName.toLowerCase() + ':' + (el.textContent ?? '').trim().slice(0, 20);
      for (const el of document.querySelectorAll<HTMLElement>(
        'button, .button-like, select, input, textarea, summary, label',
      )) {
        if (el.closest('dialog')) continue;
        const input = el as HTMLInputElement;
        // A checkbox or radio is hit through its label as well: the label is the target to measure
        // (the box alone when it has none).
        const box = el.tagName === 'INPUT' && (input.type === 'checkbox' || input.type === 'radio');
        const target = box ? (input.labels?.[0] ?? el) : el;
        if (el.tagName === 'LABEL' && !(el as HTMLLabelElement).control) continue; // a caption, not a control
        const r = target.getBoundingClientRect();
        if (r.width === 0 || r.height === 0) continue; // not shown (hidden input)
        if (r.height < 44 || (box && r.width < 44))
          out.push(
            `${name(el)}${target !== el ? ' (its label)' : ''} ${Math.round(r.width)}×${Math.round(r.height)}px`,
          );
      }
      return out;
    });
    expect(small).toEqual([]);
    // The label does toggle the box: a tap on its text, away from the box itself.
    const remember = app.locator('#llm-remember');
    const label = app.locator('label:has(#llm-remember)');
    const before = await remember.isChecked();
    await label.scrollIntoViewIfNeeded();
    const lr = (await label.boundingBox())!;
    await app.touchscreen.tap(lr.x + lr.width - 10, lr.y + lr.height / 2);
    expect(await remember.isChecked()).toBe(!before);
  });
});
