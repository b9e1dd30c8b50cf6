// The panels drawn from the store: status line, error banner, notice, figures, shape list,
// timeline, run log, the buttons' enabled state, and the loss chart.
import { drawOverlay } from './canvas-view';
import type { LossChart } from './chart';
import { renderError } from './error-box';
import { activateOnEnter, keepFocus } from './list-focus';
import { showNotice } from './notice';
import type { PageState, PageStore } from './page-state';
import { paintLabel, swatchCss } from './sketch';
import { syncColorControls } from './color-controls';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
/** Run-log lines shown (the store keeps more for the metrics). */
const LOG_SHOWN = 200;

export function updateStats(state: PageState): void {
  const b = state.breakdown;
  $('stat-loss').textContent = b ? b.total.toFixed(5) : '–';
  $('stat-mse').textContent = b ? b.mse.toFixed(5) : '–';
  $('stat-shapes').textContent = String(state.scene?.shapes.length ?? 0);
  $('shape-count').textContent = `(${state.scene?.shapes.length ?? 0})`;
}

export function renderShapes(state: PageState): void {
  const list = $('shape-list');
  const refocus = keepFocus(list);
  list.replaceChildren();
  const scene = state.scene;
  if (!scene) return;
  scene.shapes.forEach((s, i) => {
    const li = document.createElement('li');
    li.dataset.index = String(i);
    li.className = (i === state.selected ? 'selected ' : '') + (s.frozen ? 'frozen' : '');
    const sw = document.createElement('span');
    sw.className = 'swatch';
    sw.style.background = swatchCss(s);
    const name = document.createElement('span');
    name.className = 'name';
    name.textContent = s.name;
    const meta = document.createElement('span');
    meta.className = 'meta';
    meta.textContent = `${s.type} ${paintLabel(s)}`;
    li.append(sw, name, meta);
    li.tabIndex = 0;
    li.setAttribute('aria-selected', String(i === state.selected));
    list.append(li);
  });
  refocus();
  updateStats(state);
  drawOverlay(state);
}

export function renderTimeline(state: PageState): void {
  const ol = $('timeline');
  const refocus = keepFocus(ol);
  ol.replaceChildren();
  state.stages.forEach((st, i) => {
    const li = document.createElement('li');
    li.dataset.index = String(i);
    if (i === state.current) li.className = 'current';
    const a = document.createElement('span');
    a.textContent = `${i + 1}. ${st.label}`;
    const b = document.createElement('span');
    b.className = 'muted';
    b.textContent = `${st.scene.shapes.length} sh${st.loss !== null ? ' · ' + st.loss.toFixed(4) : ''}`;
    li.append(a, b);
    li.title = 'Step back to this stage';
    li.tabIndex = 0;
    if (i === state.current) li.setAttribute('aria-current', 'step');
    ol.append(li);
  });
  if (!refocus()) ol.scrollTop = ol.scrollHeight;
}

export function renderLog(state: PageState): void {
  const ol = $('round-log');
  ol.replaceChildren();
  for (const l of state.log.slice(-LOG_SHOWN)) {
    const li = document.createElement('li');
    li.className = l.kind;
    li.textContent = l.text;
    ol.append(li);
  }
  ol.scrollTop = ol.scrollHeight;
}

export function updateButtons(state: PageState): void {
  const busy = state.running !== null;
  const ready = state.engineReady && !!state.scene;
  const disable = (id: string, off: boolean) => void (($(id) as HTMLButtonElement).disabled = off);
  disable('btn-run', busy || !ready || !state.pythonReady);
  disable('btn-optimize', busy || !ready);
  disable('btn-greedy', busy || !ready || !state.pythonReady);
  disable('btn-llm', busy || !ready || !state.pythonReady);
  // Console code (even `while True: pass`) can be stopped too: Stop interrupts it as Ctrl+C does.
  disable('btn-stop', !busy && !state.pythonBusy);
  disable('btn-resume', busy || !ready || !state.resume);
  $('stat-stage').textContent = state.running ?? (state.resume ? 'stopped' : 'idle');
  // Inputs that would change the target or the scene under a running search wait for it.
  for (const id of [
    'res-select',
    'color-mode',
    'matte-color',
    'btn-default',
    'btn-shape-up',
    'btn-shape-down',
    'btn-shape-freeze',
    'btn-shape-delete',
  ])
    disable(id, busy);
  for (const id of ['file-input', 'scene-input', 'btn-open', 'btn-import']) disable(id, busy);
  document.body.dataset.running = state.running ?? '';
}

function showSelected(state: PageState): void {
  renderShapes(state);
  $('shape-list').querySelector(`li[data-index="${state.selected}"]`)?.scrollIntoView({ block: 'nearest' });
}

export function bindPanelViews(store: PageStore): void {
  activateOnEnter($('shape-list'));
  activateOnEnter($('timeline'));
  store.subscribe((aspects, state) => {
    if (aspects.has('status')) {
      const el = $('status');
      el.textContent = state.status.text;
      el.classList.toggle('ready', state.status.ready);
    }
    if (aspects.has('error')) renderError($('error'), state.error);
    if (aspects.has('notice')) showNotice($('notice'), state.notice?.text ?? null, state.notice?.action);
    if (aspects.has('color') && state.source) syncColorControls(state.settings, state.source.label);
    if (aspects.has('timeline')) renderTimeline(state);
    if (aspects.has('selection')) showSelected(state);
    else if (aspects.has('scene')) renderShapes(state);
    else if (aspects.has('stats')) updateStats(state);
    if (aspects.has('log')) renderLog(state);
    if (aspects.has('progress')) {
      $('stat-step').textContent = state.progress.step;
      $('stat-eta').textContent = state.progress.eta;
    }
    if (aspects.has('buttons')) updateButtons(state);
  });
}

/** The chart follows the store's series: a new point is appended, anything else redraws it. */
export function bindChartView(store: PageStore, chart: LossChart): void {
  chart.setData(store.state.chartX, store.state.chartTotal, store.state.chartMse);
  store.subscribe((aspects, s) => {
    if (aspects.has('chart')) chart.setData(s.chartX, s.chartTotal, s.chartMse);
    else if (aspects.has('chart-point'))
      chart.push(s.stepBase, s.chartTotal[s.chartTotal.length - 1], s.chartMse[s.chartMse.length - 1]);
  });
}
