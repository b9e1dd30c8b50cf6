// The keyboard (README "Keyboard") and the theme.
import { drawOverlay } from './canvas-view';
import type { LossChart } from './chart';
import type { Page } from './page';
import { stop } from './runs';
import { deleteSelected, freezeSelected, gotoStage, moveSelected, select } from './scene-actions';
import { undoTarget } from './target-actions';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

export function applyTheme(page: Page, chart: LossChart | null): void {
  const t = page.store.state.settings.theme ?? (matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light');
  document.documentElement.dataset.theme = t;
  chart?.restyle();
  drawOverlay(page.store.state);
}

export function toggleTheme(page: Page): void {
  const dark = document.documentElement.dataset.theme === 'dark';
  page.store.update((s) => void (s.settings.theme = dark ? 'light' : 'dark'), 'theme', 'save');
}

export function onKey(page: Page, e: KeyboardEvent): void {
  const { state } = page.store;
  // An open dialog owns the keyboard (Escape closes it natively).
  if (document.querySelector('dialog[open]')) return;
  const el = e.target as HTMLElement;
  if (el && (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT')) {
    if (e.key === 'Escape') el.blur();
    return;
  }
  if ((e.ctrlKey || e.metaKey) && !e.shiftKey && !e.altKey && e.key.toLowerCase() === 'z') {
    if (state.targetUndo.length) {
      e.preventDefault();
      undoTarget(page);
    }
    return;
  }
  if (e.ctrlKey || e.metaKey || e.altKey) return;
  const k = e.key;
  const click = (id: string) => {
    const b = $<HTMLButtonElement>(id);
    if (!b.disabled) b.click();
  };
  if (k === 'Escape') stop(page);
  else if (k === 'r') click('btn-run');
  else if (k === 'o') click('btn-optimize');
  else if (k === 'g') click('btn-greedy');
  else if (k === 'u') click('btn-resume');
  else if (k === 'z') gotoStage(page, state.current - 1);
  else if (k === 'j') select(page, state.selected + 1);
  else if (k === 'k') select(page, state.selected - 1);
  else if (k === ']') moveSelected(page, 1);
  else if (k === '[') moveSelected(page, -1);
  else if (k === 'f') freezeSelected(page);
  else if (k === 'Delete' || k === 'Backspace') deleteSelected(page);
  else if (k === 't') toggleTheme(page);
  else if (k === '?') $<HTMLDialogElement>('help').showModal();
  else if (k === '`') {
    $<HTMLDetailsElement>('panel-console').open = true;
    $('console-in').focus();
  } else return;
  e.preventDefault();
}
