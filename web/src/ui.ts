// The buttons, lists, file inputs, drag and drop and paste, wired to the actions.
import { drawOverlay } from './canvas-view';
import {
  acceptFile,
  exportGif,
  exportMetrics,
  exportPng,
  exportSceneJson,
  exportSvg,
  importSceneFile,
  pngSize,
} from './file-actions';
import { applyTheme, onKey, toggleTheme } from './keyboard';
import { showError } from './messages';
import type { Page } from './page';
import { resume, runGreedy, runLlm, runOptimize, runPipeline, stop } from './runs';
import { deleteSelected, freezeSelected, gotoStage, moveSelected, select } from './scene-actions';
import { builtInTarget } from './target-actions';
import type { LossChart } from './chart';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

/** A file input's one file, taken and the input cleared (so picking the same file again works). */
function onFile(id: string, take: (f: File) => void) {
  $(id).addEventListener('change', () => {
    const input = $<HTMLInputElement>(id);
    const f = input.files?.[0];
    input.value = '';
    if (f) take(f);
  });
}

export function bindUi(page: Page, chart: () => LossChart | null): void {
  const { store } = page;
  const on = (id: string, run: () => void) => $(id).addEventListener('click', run);
  on('btn-run', () => void runPipeline(page));
  on('btn-optimize', () => void runOptimize(page).catch(() => undefined));
  on('btn-greedy', () => void runGreedy(page));
  on('btn-llm', () => void runLlm(page));
  on('btn-stop', () => stop(page));
  on('btn-resume', () => resume(page));
  on('btn-theme', () => toggleTheme(page));
  on('btn-help', () => $<HTMLDialogElement>('help').showModal());
  on('btn-default', () => void builtInTarget(page));
  for (const b of document.querySelectorAll<HTMLButtonElement>('button[data-opens]')) {
    b.addEventListener('click', () => $(b.dataset.opens!).click());
  }
  onFile('file-input', (f) => void acceptFile(page, f));
  onFile('scene-input', (f) => void importSceneFile(page, f));
  $('shape-list').addEventListener('click', (e) => {
    const li = (e.target as HTMLElement).closest('li');
    if (li) select(page, Number(li.dataset.index) === store.state.selected ? -1 : Number(li.dataset.index));
  });
  $('timeline').addEventListener('click', (e) => {
    const li = (e.target as HTMLElement).closest('li');
    if (li) gotoStage(page, Number(li.dataset.index));
  });
  on('btn-shape-up', () => moveSelected(page, 1));
  on('btn-shape-down', () => moveSelected(page, -1));
  on('btn-shape-freeze', () => freezeSelected(page));
  on('btn-shape-delete', () => deleteSelected(page));

  on('btn-export-svg', () => void exportSvg(page));
  on('btn-export-png', () => {
    const input = $<HTMLInputElement>('png-size');
    const asked = input.value;
    const { size, clamped } = pngSize(asked);
    void exportPng(page, asked).catch((e) => showError(store, String(e)));
    if (clamped) input.value = String(size);
  });
  on('btn-export-json', () => exportSceneJson(page));
  on('btn-export-metrics', () => exportMetrics(page));
  on('btn-export-gif', () => void exportGif(page));

  // Drag and drop anywhere; paste anywhere outside text fields.
  const zone = $('drop-zone');
  let depth = 0;
  const dragging = (yes: boolean) => {
    zone.classList.toggle('dragging', yes);
    $('drop-hint').hidden = !yes;
  };
  window.addEventListener('dragenter', (e) => {
    if (!e.dataTransfer?.types.includes('Files')) return;
    depth++;
    dragging(true);
  });
  window.addEventListener('dragleave', () => {
    depth = Math.max(0, depth - 1);
    if (depth === 0) dragging(false);
  });
  window.addEventListener('dragover', (e) => e.preventDefault());
  window.addEventListener('drop', (e) => {
    e.preventDefault();
    depth = 0;
    dragging(false);
    const f = e.dataTransfer?.files?.[0];
    if (f) void acceptFile(page, f);
  });
  window.addEventListener('paste', (e) => {
    const el = e.target as HTMLElement;
    if (el && (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA')) return;
    const item = [...(e.clipboardData?.items ?? [])].find((i) => i.kind === 'file');
    const f = item?.getAsFile();
    if (f) {
      e.preventDefault();
      void acceptFile(page, f);
    }
  });
  window.addEventListener('keydown', (e) => onKey(page, e));
  window.addEventListener('resize', () => drawOverlay(store.state));
  matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => applyTheme(page, chart()));
  store.subscribe((aspects) => {
    if (aspects.has('theme')) applyTheme(page, chart());
  });
}
