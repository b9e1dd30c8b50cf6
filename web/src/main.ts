// The page: state, actions and their wiring to the DOM.
//
// Dependency direction: main → (scene, art, engine, python, chart, console, exporters, store).
// Compute lives in the workers (engine.ts); orchestration that is more than one engine call
// (greedy search, LLM rounds) lives in Python (python.ts → py/pelican). This file never does
// pixel maths beyond converting gray floats to canvas pixels.
import './style.css';
import { artSource, decodeImageFile, ImageInputError, toTarget, type Target } from './art';
import { LossChart } from './chart';
import { PyConsole, cleanTraceback } from './console';
import { createPool, loadClientModule, type Breakdown, type EngineClient, type EnginePool } from './engine';
import { download, encodeGif, planesToPng, toFrame, type Frame } from './exporters';
import { meanColor, planesToImageData, toHex } from './color';
import { bindColorControls, matteRgb, sourceChannels, syncColorControls, type ColorSettings } from './color-controls';
import { pageModel, setShapeModel, shapeModelFailed, whenShapeModel } from './model';
import { drawSceneSketchOn, swatchCss, paintLabel } from './sketch';
import { hasPelicanPackage, loadPython, normalisePythonError, prefetchPyodide, startPyodide, type PythonRuntime } from './python';
import { fromValues, frozenMask, hasTranslucent, initialScene, SceneError, toGrayScene, toValues, validateScene, type Scene, type Shape } from './scene';
import { loadSession, maySessionExist, saveSession, useSessionKey } from './store';
import { claimSession, MAIN_SESSION } from './session-key';
import { showNotice, type NoticeAction } from './notice';
import type { PageRound, PageRunResult } from './page-protocol';
import { activateOnEnter, keepFocus } from './list-focus';
import { deferred, within } from './deferred';
import { renderError, splitError } from './error-box';
import { cspRefusal, LLM_DEFAULTS, type LlmProvider } from './llm-reach';

// ---------------------------------------------------------------------------------------------
// State

type RunKind = 'optimize' | 'greedy' | 'llm' | 'pipeline';

interface Stage {
  label: string;
  scene: Scene;
  loss: number | null;
  at: number; // chart x when the stage was reached
}

interface LogLine {
  kind: 'accept' | 'reject' | 'error' | 'info';
  text: string;
}

interface Settings {
  res: number;
  steps: number;
  lr: number;
  maxShapes: number;
  proposal: 'residual' | 'random';
  candidates: number;
  maxFailures: number;
  llmProvider: 'anthropic' | 'openai';
  llmBase: string;
  llmModel: string;
  llmRounds: number;
  llmRemember: boolean;
  /** Base URL and model last used with each provider, so switching back brings them back. */
  llmPerProvider?: Partial<Record<LlmProvider, { base: string; model: string }>>;
  theme: 'light' | 'dark' | null;
  consoleHistory: string[];
}

type AllSettings = Settings & ColorSettings;

interface SessionDoc {
  v: 1;
  settings: AllSettings;
  source: Blob | null; // null: the built-in pelican
  sourceLabel: string;
  scene: Scene;
  stages: Stage[];
  current: number;
  chart: { x: number[]; total: number[]; mse: number[] };
  log: LogLine[];
  llmKey?: string;
  resume: Resume | null;
  /** The run that was going on when this was saved (a reload cuts it short; the page offers to resume). */
  interrupted?: { kind: RunKind; phase?: 'optimize' | 'greedy' } | null;
}

interface Resume {
  kind: RunKind;
  /** Steps of an optimise still to run, when one was stopped. */
  remaining?: number;
  phase?: 'optimize' | 'greedy';
}

const DEFAULT_SETTINGS: AllSettings = {
  colorMode: 'color',
  matte: '#ffffff',
  res: 128,
  steps: 500,
  lr: 0.02,
  maxShapes: 35,
  proposal: 'residual',
  candidates: 4,
  maxFailures: 5,
  llmProvider: 'anthropic',
  llmBase: 'https://api.anthropic.com',
  llmModel: 'claude-sonnet-4-5',
  llmRounds: 3,
  llmRemember: false,
  theme: null,
  consoleHistory: [],
};

const state = {
  settings: { ...DEFAULT_SETTINGS } as AllSettings,
  /** The picture the target comes from; width × height is its original size (the SVG's size on export). */
  source: null as { canvas: OffscreenCanvas; blob: Blob | null; label: string; width: number; height: number } | null,
  target: null as Target | null,
  scene: null as Scene | null,
  stages: [] as Stage[],
  current: -1,
  selected: -1,
  log: [] as LogLine[],
  chartX: [] as number[],
  chartTotal: [] as number[],
  chartMse: [] as number[],
  stepBase: 0,
  running: null as RunKind | null,
  stopRequested: false,
  resume: null as Resume | null,
  frames: [] as Frame[],
  llmKey: '',
  breakdown: null as Breakdown | null,
  engineReady: false,
  pythonReady: false,
  timings: {} as Record<string, number>,
};

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
// Milliseconds since navigation start, so the numbers are what a user waits.
const mark = (name: string) => {
  state.timings[name] = Math.round(performance.now());
};

// ---------------------------------------------------------------------------------------------
// Status and errors

function setStatus(text: string, ready = false) {
  const el = $('status');
  el.textContent = text;
  el.classList.toggle('ready', ready);
}

function showError(message: string | null) {
  renderError($('error'), message);
}

function notice(text: string | null, action?: NoticeAction) {
  showNotice($('notice'), text, action);
}

function logLine(kind: LogLine['kind'], text: string) {
  state.log.push({ kind, text });
  if (state.log.length > 500) state.log.splice(0, state.log.length - 500);
  renderLog();
  scheduleSave();
}

// ---------------------------------------------------------------------------------------------
// Engine: one client for the page's renders and optimisation runs (outside the pool, so Python's
// candidate search always has the whole pool), plus the pool handed to Python.

let poolPromise: Promise<EnginePool> | null = null;
let viewEngine: Promise<EngineClient> | null = null;
let engineQueue: Promise<unknown> = Promise.resolve();
let engineKey = '';

function pool(): Promise<EnginePool> {
  poolPromise ??= createPool();
  return poolPromise;
}

function engine(): Promise<EngineClient> {
  viewEngine ??= (async () => {
    const mod = await loadClientModule();
    if (mod.createEngine) return mod.createEngine();
    return (await pool()).acquire();
  })();
  return viewEngine;
}

/** Serialises page-side engine use; a crashed worker is re-initialised and the call retried once. */
function withEngine<T>(fn: (e: EngineClient) => Promise<T>): Promise<T> {
  const run = async () => {
    const e = await engine();
    try {
      return await fn(e);
    } catch (err) {
      if ((err as Error)?.name !== 'EngineCrashed') throw err;
      logLine('error', 'The compute worker crashed; it was replaced and the scene restored.');
      engineKey = '';
      return fn(e);
    }
  };
  const p = engineQueue.then(run, run);
  engineQueue = p.catch(() => undefined);
  return p;
}

async function prepare(e: EngineClient, scene: Scene) {
  const t = state.target!;
  const model = pageModel(t.channels, hasTranslucent(scene));
  const key = `${t.width}x${t.height}:${targetVersion}:${JSON.stringify(model)}`;
  if (engineKey !== key) {
    await e.init(t.width, t.height, model);
    await e.setTarget(t.pixels.slice());
    engineKey = key;
  }
  const { types, values, background } = toValues(scene, model);
  await e.setScene(types, values, background);
  await e.setFrozen(frozenMask(scene));
  return model;
}

let targetVersion = 0;
let renderSeq = 0;

/** Renders the current scene into the render canvas (latest request wins). */
async function refreshRender() {
  if (!state.engineReady || !state.scene || !state.target) return;
  const seq = ++renderSeq;
  const scene = state.scene;
  try {
    const { pixels, breakdown } = await withEngine(async (e) => {
      if (seq !== renderSeq) return { pixels: null, breakdown: null };
      await prepare(e, scene);
      const S = Math.max(scene.width, scene.height);
      const ev = await e.evaluate(0.5 / S);
      const [dw, dh] = displaySize(scene);
      const px = await e.render(0.5 / Math.max(dw, dh), dw, dh);
      return { pixels: px, breakdown: ev.breakdown, dw, dh };
    });
    if (!pixels || seq !== renderSeq) return;
    const [dw, dh] = displaySize(scene);
    if (pixels.length === dw * dh * state.target.channels) drawGray($('render-canvas') as HTMLCanvasElement, pixels, dw, dh);
    state.breakdown = breakdown;
    updateStats();
  } catch (err) {
    showError(`Render failed: ${(err as Error).message}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Drawing

/** The render is drawn at the size it is shown (up to 512), so edges stay crisp when scaled up. */
function displaySize(scene: Scene): [number, number] {
  const frame = ($('render-canvas').parentElement as HTMLElement).getBoundingClientRect();
  const want = Math.min(512, Math.max(scene.width, scene.height, Math.round(Math.max(frame.width, frame.height) * (devicePixelRatio || 1))));
  const k = want / Math.max(scene.width, scene.height);
  return [Math.max(1, Math.round(scene.width * k)), Math.max(1, Math.round(scene.height * k))];
}

function drawGray(canvas: HTMLCanvasElement, pixels: Float32Array, w: number, h: number) {
  if (canvas.width !== w || canvas.height !== h) {
    canvas.width = w;
    canvas.height = h;
  }
  canvas.getContext('2d')!.putImageData(planesToImageData(pixels, w, h), 0, 0);
}

function drawTarget() {
  const t = state.target!;
  drawGray($('target-canvas') as HTMLCanvasElement, t.pixels, t.width, t.height);
  $('target-label').textContent = `${t.label} · ${t.width}×${t.height}`;
  for (const id of ['target-canvas', 'render-canvas']) {
    ($(id).parentElement as HTMLElement).style.aspectRatio = `${t.width} / ${t.height}`;
  }
}

/** A shape's outline as a canvas path; `m` maps normalised units to canvas pixels. */
function traceShape(ctx: CanvasRenderingContext2D, s: Shape, m: number) {
  ctx.beginPath();
  if (s.type === 'circle') ctx.arc(s.cx! * m, s.cy! * m, Math.max(0.5, s.r! * m), 0, 2 * Math.PI);
  else if (s.type === 'ellipse') ctx.ellipse(s.cx! * m, s.cy! * m, Math.max(0.5, s.rx! * m), Math.max(0.5, s.ry! * m), s.rotation!, 0, 2 * Math.PI);
  else {
    const p = s.points!;
    ctx.moveTo(p[0][0] * m, p[0][1] * m);
    ctx.lineTo(p[1][0] * m, p[1][1] * m);
    ctx.lineTo(p[2][0] * m, p[2][1] * m);
    ctx.closePath();
  }
}

/** Before the engine is up, the scene is drawn hard-edged on the canvas so something shows at once. */
function drawSceneSketch() {
  drawSceneSketchOn($('render-canvas') as HTMLCanvasElement, state.scene!, traceShape);
}

function drawOverlay() {
  const c = $('overlay-canvas') as HTMLCanvasElement;
  const scene = state.scene;
  const rect = c.getBoundingClientRect();
  const dpr = devicePixelRatio || 1;
  c.width = Math.max(1, Math.round(rect.width * dpr));
  c.height = Math.max(1, Math.round(rect.height * dpr));
  const ctx = c.getContext('2d')!;
  ctx.clearRect(0, 0, c.width, c.height);
  if (!scene || state.selected < 0 || state.selected >= scene.shapes.length) return;
  const s = scene.shapes[state.selected];
  // The render canvas is letterboxed inside its frame by object-fit: contain.
  const S = Math.max(scene.width, scene.height);
  const fit = Math.min(c.width / scene.width, c.height / scene.height);
  const ox = (c.width - scene.width * fit) / 2;
  const oy = (c.height - scene.height * fit) / 2;
  const m = S * fit;
  ctx.save();
  ctx.translate(ox, oy);
  ctx.lineWidth = 2 * dpr;
  ctx.strokeStyle = getComputedStyle(document.documentElement).getPropertyValue('--sel').trim() || '#e8712a';
  ctx.setLineDash([6 * dpr, 4 * dpr]);
  traceShape(ctx, s, m);
  ctx.stroke();
  ctx.restore();
}

// ---------------------------------------------------------------------------------------------
// Panels

function updateStats() {
  const b = state.breakdown;
  $('stat-loss').textContent = b ? b.total.toFixed(5) : '–';
  $('stat-mse').textContent = b ? b.mse.toFixed(5) : '–';
  $('stat-shapes').textContent = String(state.scene?.shapes.length ?? 0);
  $('shape-count').textContent = `(${state.scene?.shapes.length ?? 0})`;
}

function renderShapes() {
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
  updateStats();
  drawOverlay();
}

function renderTimeline() {
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

function renderLog() {
  const ol = $('round-log');
  ol.replaceChildren();
  for (const l of state.log.slice(-200)) {
    const li = document.createElement('li');
    li.className = l.kind;
    li.textContent = l.text;
    ol.append(li);
  }
  ol.scrollTop = ol.scrollHeight;
}

function updateButtons() {
  const busy = state.running !== null;
  const ready = state.engineReady && !!state.scene;
  ($('btn-run') as HTMLButtonElement).disabled = busy || !ready || !state.pythonReady;
  ($('btn-optimize') as HTMLButtonElement).disabled = busy || !ready;
  ($('btn-greedy') as HTMLButtonElement).disabled = busy || !ready || !state.pythonReady;
  ($('btn-llm') as HTMLButtonElement).disabled = busy || !ready || !state.pythonReady;
  ($('btn-stop') as HTMLButtonElement).disabled = !busy;
  ($('btn-resume') as HTMLButtonElement).disabled = busy || !ready || !state.resume;
  $('stat-stage').textContent = state.running ?? (state.resume ? 'stopped' : 'idle');
  // Inputs that would change the target or the scene under a running search wait for it.
  for (const id of ['res-select', 'color-mode', 'matte-color', 'btn-default', 'btn-shape-up', 'btn-shape-down', 'btn-shape-freeze', 'btn-shape-delete']) {
    ($(id) as HTMLButtonElement).disabled = busy;
  }
  for (const id of ['file-input', 'scene-input', 'btn-open', 'btn-import']) ($(id) as HTMLInputElement).disabled = busy;
  document.body.dataset.running = state.running ?? '';
}

// ---------------------------------------------------------------------------------------------
// Scene changes

/** Puts a scene on the page; `stage` also records it in the timeline. */
function setScene(scene: Scene, stage?: { label: string; loss?: number | null }) {
  state.scene = scene;
  if (state.selected >= scene.shapes.length) state.selected = scene.shapes.length - 1;
  if (stage) {
    state.stages.push({ label: stage.label, scene: structuredClone(scene), loss: stage.loss ?? null, at: state.stepBase });
    if (state.stages.length > 200) state.stages.splice(1, state.stages.length - 200);
    state.current = state.stages.length - 1;
    renderTimeline();
  }
  renderShapes();
  void refreshRender();
  // A stage reached during a run (an accepted round) is saved at once: a reload keeps it.
  if (stage && state.running) void saveNow();
  else scheduleSave();
}

function editScene(fn: (s: Scene) => void, label: string) {
  if (!state.scene || state.running) return;
  const next = structuredClone(state.scene);
  fn(next);
  if (next.shapes.length === 0) {
    showError('A scene needs at least one shape.');
    return;
  }
  showError(null);
  setScene(next, { label });
}

function gotoStage(i: number) {
  if (state.running || i < 0 || i >= state.stages.length) return;
  state.current = i;
  state.scene = structuredClone(state.stages[i].scene);
  state.resume = null;
  showError(null);
  renderTimeline();
  renderShapes();
  updateButtons();
  void refreshRender();
  scheduleSave();
}

// ---------------------------------------------------------------------------------------------
// Targets

/** Everything a new target replaces, so that loading one (even a picture pasted by accident) can be undone. */
interface TargetSnapshot {
  label: string;
  res: number;
  source: NonNullable<typeof state.source>;
  target: Target;
  scene: Scene;
  stages: Stage[];
  current: number;
  chartX: number[];
  chartTotal: number[];
  chartMse: number[];
  stepBase: number;
  frames: Frame[];
  resume: Resume | null;
}

const targetUndo: TargetSnapshot[] = [];

/** Keeps what is on the page before a new target replaces it (the reset builds new arrays, so these stay intact). */
function rememberForUndo() {
  if (!state.source || !state.target || !state.scene) return;
  targetUndo.push({
    label: state.target.label, res: state.settings.res, source: state.source, target: state.target, scene: state.scene,
    stages: state.stages, current: state.current, chartX: state.chartX, chartTotal: state.chartTotal, chartMse: state.chartMse,
    stepBase: state.stepBase, frames: state.frames, resume: state.resume,
  });
  if (targetUndo.length > 5) targetUndo.shift();
}

function offerUndo(what: string) {
  notice(`${what}. The previous target, scene and timeline are kept:`, { label: 'Undo (Ctrl+Z)', run: undoTarget });
}

function undoTarget() {
  if (state.running) {
    showError('Stop the run before undoing the new image.');
    return;
  }
  const u = targetUndo.pop();
  if (!u) return;
  Object.assign(state, {
    source: u.source, target: u.target, scene: u.scene, stages: u.stages, current: u.current, chartX: u.chartX,
    chartTotal: u.chartTotal, chartMse: u.chartMse, stepBase: u.stepBase, frames: u.frames, resume: u.resume,
  });
  state.settings.res = u.res;
  state.selected = -1;
  targetVersion++;
  syncInputs();
  drawTarget();
  chart?.setData(state.chartX, state.chartTotal, state.chartMse);
  showError(null);
  renderShapes();
  renderTimeline();
  updateButtons();
  void refreshRender();
  scheduleSave();
  notice(`Back to ${u.label}, with its scene and timeline.`);
}

async function sourceToTarget() {
  const src = state.source!;
  state.target = toTarget(src.canvas, src.canvas.width, src.canvas.height, state.settings.res, src.label, sourceChannels(state.settings, src.label), matteRgb(state.settings));
  targetVersion++;
  drawTarget();
  syncColorControls(state.settings, src.label);
}

/** On a colour target a white canvas starts at the target's mean colour (then it is fitted). */
function colorStart(scene: Scene): Scene {
  const t = state.target!;
  if (t.channels !== 3 || (scene.background ?? '#ffffff') !== '#ffffff') return scene;
  return { ...scene, version: 2, background: toHex(meanColor(t.pixels, t.width, t.height)) };
}

/** Colour ↔ gray or a new matte: the target is rebuilt; to gray, the scene turns gray too. */
async function colorChanged(what: 'mode' | 'matte') {
  if (state.running || !state.source) return;
  await sourceToTarget();
  scheduleSave();
  if (!state.scene) return;
  if (what === 'mode' && state.target!.channels === 1) setScene(toGrayScene(state.scene), { label: 'gray' });
  else if (what === 'mode') setScene(colorStart(state.scene), { label: 'colour' });
  else void refreshRender();
}

async function setSourceFromImage(img: CanvasImageSource, w: number, h: number, label: string, blob: Blob | null) {
  // Keep the source at up to 512 on its long side: enough for any working resolution.
  const k = Math.min(1, 512 / Math.max(w, h));
  const canvas = new OffscreenCanvas(Math.max(1, Math.round(w * k)), Math.max(1, Math.round(h * k)));
  // Transparency is kept: the target composites it over the matte colour the user picks.
  canvas.getContext('2d')!.drawImage(img, 0, 0, canvas.width, canvas.height);
  state.source = { canvas, blob: blob ?? (label === 'built-in pelican' ? null : await canvas.convertToBlob({ type: 'image/png' })), label, width: w, height: h };
  await sourceToTarget();
}

/** A new picture: the scene restarts from the initial pelican fitted to its aspect. */
async function loadImageFile(file: File | Blob) {
  if (state.running) {
    showError('Stop the run before changing the image.');
    return;
  }
  try {
    const { bitmap, width, height } = await decodeImageFile(file, state.settings.res);
    const label = (file as File).name ?? 'pasted image';
    rememberForUndo();
    await setSourceFromImage(bitmap, width, height, label, file);
    showError(null);
    resetForTarget(`new image: ${label}`);
    offerUndo(`New image: ${label}`);
  } catch (e) {
    // The current target, scene and history are untouched.
    const msg = e instanceof ImageInputError ? e.message : `Could not open that file: ${(e as Error).message}`;
    showError(msg);
    logLine('error', msg);
  }
}

async function loadDefaultTarget() {
  const art = await artSource();
  state.source = { canvas: art, blob: null, label: 'built-in pelican', width: art.width, height: art.height };
  await sourceToTarget();
}

function resetForTarget(label: string) {
  const t = state.target!;
  state.stages = [];
  state.chartX = [];
  state.chartTotal = [];
  state.chartMse = [];
  state.stepBase = 0;
  state.frames = [];
  state.resume = null;
  chart?.setData([], [], []);
  setScene(colorStart(initialScene(t.width, t.height)), { label });
  updateButtons();
}

async function changeResolution(res: number) {
  if (state.running) return;
  state.settings.res = res;
  await sourceToTarget();
  const t = state.target!;
  // Normalised coordinates do not depend on the pixel size, so the scene carries over.
  if (state.scene) setScene({ ...state.scene, width: t.width, height: t.height }, { label: `resolution ${res}` });
}

// ---------------------------------------------------------------------------------------------
// Runs

let chart: LossChart | null = null;
let runStarted = 0;

function pushLoss(b: Breakdown) {
  state.stepBase += 1;
  state.chartX.push(state.stepBase);
  state.chartTotal.push(b.total);
  state.chartMse.push(b.mse);
  if (state.chartX.length > 20000) {
    // Thin the oldest half: the plot needs shape, not every point.
    const keep = (_: number, i: number) => i >= 10000 || i % 2 === 0;
    state.chartX = state.chartX.filter(keep);
    state.chartTotal = state.chartTotal.filter(keep);
    state.chartMse = state.chartMse.filter(keep);
    chart?.setData(state.chartX, state.chartTotal, state.chartMse);
  } else chart?.push(state.stepBase, b.total, b.mse);
}

/** Runs need shapes to move; an empty scene gets told why nothing happens. */
function refuseEmptyScene(what: string): boolean {
  if (state.scene && state.scene.shapes.length > 0) return false;
  showError(`${what}: the scene has no shapes, so there is nothing to fit. Start from the built-in shapes (Built-in pelican), import a scene, or add shapes from the console (app.scene).`);
  return true;
}

/** What the status line says once a run has ended (set by the run; the default names the outcome). */
let runOutcome: string | null = null;

function startRun(kind: RunKind) {
  runOutcome = null;
  state.running = kind;
  state.stopRequested = false;
  runStarted = performance.now();
  showError(null);
  updateButtons();
}

function endRun() {
  const kind = state.running;
  state.running = null;
  const failed = !$('error').hidden;
  const text = runOutcome ?? (failed ? `${kind} failed — see the message below` : state.stopRequested ? `${kind} stopped — the best result is kept; Resume (u) goes on` : `${kind} done`);
  // No loss here: the Loss figure has it, and stays right after later edits.
  setStatus(`${text} · ${state.scene?.shapes.length ?? 0} shapes`, !failed);
  $('stat-eta').textContent = '–';
  updateButtons();
  scheduleSave();
}

interface OptimizeOutcome {
  cancelled: boolean;
  stepsCompleted: number;
  bestLoss: number;
}

/** One optimisation of the current scene in the page's worker, streaming progress to the views. */
async function optimizeScene(steps: number, lr: number, label: string): Promise<OptimizeOutcome> {
  const scene = state.scene!;
  const S = Math.max(scene.width, scene.height);
  const started = performance.now();
  const frameEvery = Math.max(1, Math.round(steps / 60));
  let lastFrameStep = -frameEvery;
  const chartStart = state.chartX.length;
  const stepBase = state.stepBase;
  let model = pageModel(state.target!.channels, hasTranslucent(scene));
  const result = await withEngine(async (e) => {
    model = await prepare(e, scene);
    return e.optimize(
      { steps, lr, previewEvery: Math.max(1, Math.round(steps / 100)), previewSize: Math.max(...displaySize(scene)) },
      (p) => {
        pushLoss(p.breakdown);
        state.breakdown = p.breakdown;
        $('stat-step').textContent = `${p.step}/${p.steps}`;
        const elapsed = performance.now() - started;
        const eta = p.step > 0 ? ((p.steps - p.step) * elapsed) / p.step / 1000 : NaN;
        $('stat-eta').textContent = Number.isFinite(eta) ? `${eta.toFixed(1)} s` : '–';
        updateStats();
        if (p.preview) {
          drawGray($('render-canvas') as HTMLCanvasElement, p.preview.pixels, p.preview.width, p.preview.height);
          if (p.step - lastFrameStep >= frameEvery && state.frames.length < 400) {
            state.frames.push(toFrame(p.preview.pixels, p.preview.width, p.preview.height, 60));
            lastFrameStep = p.step;
          }
        }
        if (state.stopRequested) void e.cancel();
      },
    );
  });
  // Progress is throttled to the frame rate; the full per-step history replaces the live points.
  state.chartX.length = chartStart;
  state.chartTotal.length = chartStart;
  state.chartMse.length = chartStart;
  state.stepBase = stepBase;
  for (let i = 0; i + 7 <= result.history.length; i += 7) {
    state.stepBase += 1;
    state.chartX.push(state.stepBase);
    state.chartMse.push(result.history[i]);
    state.chartTotal.push(result.history[i + 6]);
  }
  chart?.setData(state.chartX, state.chartTotal, state.chartMse);
  const next = fromValues(scene, result.values, result.background, model);
  // The kept scene's loss, evaluated as the Loss figure is (the fit's own best is taken at its
  // annealed tau and before its last step, so it differs in the third digit).
  const loss = (await evaluateScene(next)).total;
  setScene(next, {
    label: result.cancelled ? `${label} (stopped at ${result.stepsCompleted}/${steps})` : `${label} (${steps} steps)`,
    loss,
  });
  logLine(result.cancelled ? 'reject' : 'info', `${label}: ${result.stepsCompleted}/${steps} steps, loss ${loss.toFixed(5)}${result.cancelled ? ' — stopped' : ''}`);
  void captureFrame(700);
  return { cancelled: result.cancelled, stepsCompleted: result.stepsCompleted, bestLoss: result.bestLoss };
}

/** The loss of a scene as the Loss figure shows it (the same evaluation as refreshRender). */
async function evaluateScene(scene: Scene): Promise<Breakdown> {
  const b = await withEngine(async (e) => {
    await prepare(e, scene);
    return (await e.evaluate(0.5 / Math.max(scene.width, scene.height))).breakdown;
  });
  // Called for the scene a run is about to put on the page: the figure shows it from now on.
  state.breakdown = b;
  updateStats();
  return b;
}

async function captureFrame(delay: number) {
  if (!state.scene || !state.engineReady) return;
  const scene = state.scene;
  const px = await withEngine(async (e) => {
    await prepare(e, scene);
    return e.render(0.5 / Math.max(scene.width, scene.height), scene.width, scene.height);
  });
  if (state.frames.length < 400) state.frames.push(toFrame(px, scene.width, scene.height, delay));
}

async function runOptimize(steps = state.settings.steps): Promise<OptimizeOutcome> {
  if (refuseEmptyScene('Optimise')) return { cancelled: false, stepsCompleted: 0, bestLoss: NaN };
  startRun('optimize');
  try {
    const out = await optimizeScene(steps, state.settings.lr, 'optimise');
    state.resume = out.cancelled ? { kind: 'optimize', remaining: Math.max(0, steps - out.stepsCompleted) } : null;
    return out;
  } catch (e) {
    reportRunError('optimise', e);
    throw e;
  } finally {
    endRun();
  }
}

function reportRunError(what: string, e: unknown) {
  const err = e as Error;
  // A Python error's own class name is in its text; other kinds (EngineError, …) are named here.
  const kind = !err?.name || ['Error', 'PythonError'].includes(err.name) ? '' : `${err.name}: `;
  const msg = `${what} failed: ${kind}${err?.message ?? String(e)}`;
  showError(msg);
  logLine('error', splitError(msg).line);
}

type PyRound = PageRound;

/** Greedy refinement in Python on the engine pool; every accepted round lands on the page at once. */
async function greedyScene(): Promise<{ cancelled: boolean }> {
  const s = state.settings;
  const args = {
    max_shapes: s.maxShapes,
    proposal: s.proposal,
    candidates: s.candidates,
    max_failures: s.maxFailures,
    scene: state.scene,
    target: { width: state.target!.width, height: state.target!.height },
  };
  $('stat-step').textContent = `round 0`;
  const started = performance.now();
  const startShapes = state.scene!.shapes.length;
  const out = await callPythonRun('greedy', args, { chart: false }, (r: PyRound) => {
    $('stat-step').textContent = `round ${r.round}`;
    const text = `round ${r.round}: ${r.accepted ? 'accept' : 'reject'} ${r.shape_type ?? ''} ${r.shape_name ?? ''} ${fmt(r.loss_before)} → ${fmt(r.loss_after)}${r.num_shapes ? ` (${r.num_shapes} shapes)` : ''}`;
    logLine(r.accepted ? 'accept' : 'reject', text.replace(/\s+/g, ' '));
    if (r.accepted && r.loss_after != null) pushLoss({ ...zeroBreakdown(), total: r.loss_after, mse: NaN });
    if (r.accepted && r.scene) {
      setScene(validateScene(r.scene), { label: `greedy round ${r.round}: +${r.shape_name ?? r.shape_type}`, loss: r.loss_after ?? null });
      void captureFrame(300);
      const done = state.scene!.shapes.length - startShapes;
      const todo = s.maxShapes - startShapes;
      if (done > 0 && todo > 0) {
        const eta = ((performance.now() - started) / done) * (todo - done);
        $('stat-eta').textContent = `~${(eta / 1000).toFixed(0)} s`;
      }
    }
  });
  let loss: number | null = null;
  if (out.scene) {
    const final = validateScene(out.scene);
    loss = (await evaluateScene(final)).total;
    setScene(final, { label: out.cancelled ? 'greedy (stopped)' : 'greedy final', loss });
  }
  const n = state.scene!.shapes.length;
  const why =
    out.cancelled ? 'stopped'
    : out.stopped === 'failures' ? `ended at the failure limit (${s.maxFailures} rejected rounds in a row)`
    : 'done: the shape budget is reached';
  runOutcome = `greedy ${why}`;
  logLine(out.stopped === 'failures' ? 'reject' : 'info', `greedy: ${why}, ${n} shapes${loss !== null ? `, loss ${loss.toFixed(5)}` : ''}`);
  return { cancelled: !!out.cancelled };
}

const fmt = (v?: number) => (v === undefined || v === null ? '–' : v.toFixed(5));
const zeroBreakdown = (): Breakdown => ({ mse: 0, edge: 0, ssim: 0, perimeter: 0, degeneracy: 0, canvas: 0, total: 0 });

async function runGreedy() {
  if (refuseEmptyScene('Greedy refine')) return;
  startRun('greedy');
  try {
    const out = await greedyScene();
    state.resume = out.cancelled ? { kind: 'greedy' } : null;
  } catch (e) {
    reportRunError('greedy refine', e);
  } finally {
    endRun();
  }
}

/** A user's picture (or the art in colour) goes through pelican.vectorize when Python has it. */
async function usesVectorize(): Promise<boolean> {
  if (!py || (state.source?.label === 'built-in pelican' && state.target?.channels === 1)) return false;
  return Boolean(await py.bridge.has_vectorize());
}

async function runVectorize() {
  const s = state.settings;
  const started = performance.now();
  $('stat-step').textContent = 'round 0';
  const out = await callPythonRun('vectorize', { shapes: s.maxShapes }, { chart: true }, (r: PyRound & { added?: number; loss?: number }) => {
    $('stat-step').textContent = `round ${r.round}`;
    logLine('accept', `vectorize round ${r.round}: +${r.added ?? 0} → ${r.num_shapes} shapes, loss ${fmt(r.loss)}`);
    if (r.scene) setScene(validateScene(r.scene), { label: `vectorize round ${r.round}: ${r.num_shapes} shapes`, loss: r.loss ?? null });
    const done = r.num_shapes ?? 0;
    if (done > 0 && done < s.maxShapes) $('stat-eta').textContent = `~${(((performance.now() - started) / done) * (s.maxShapes - done) / 1000).toFixed(0)} s`;
  });
  if (out.scene) setScene(validateScene(out.scene), { label: out.cancelled ? 'vectorize (stopped)' : 'vectorize final', loss: out.loss ?? null });
  logLine('info', `vectorize: ${out.cancelled ? 'stopped' : 'done'}, ${state.scene!.shapes.length} shapes in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

/** The pipeline's current phase, saved with the session so a reload resumes where it was. */
let pipelinePhase: 'optimize' | 'greedy' | undefined;

async function runPipeline(resume?: Resume) {
  if (refuseEmptyScene('Run')) return;
  if (!resume && (await usesVectorize())) {
    startRun('pipeline');
    try {
      await runVectorize();
    } catch (e) {
      reportRunError('pipeline', e);
    } finally {
      endRun();
    }
    return;
  }
  startRun('pipeline');
  try {
    if (!resume || resume.phase === 'optimize') {
      pipelinePhase = 'optimize';
      const steps = resume?.remaining ?? state.settings.steps;
      const o = await optimizeScene(steps, state.settings.lr, 'optimise');
      if (o.cancelled) {
        state.resume = { kind: 'pipeline', phase: 'optimize', remaining: Math.max(0, steps - o.stepsCompleted) };
        return;
      }
    }
    if (state.stopRequested) {
      state.resume = { kind: 'pipeline', phase: 'greedy' };
      return;
    }
    pipelinePhase = 'greedy';
    const g = await greedyScene();
    state.resume = g.cancelled ? { kind: 'pipeline', phase: 'greedy' } : null;
  } catch (e) {
    reportRunError('pipeline', e);
  } finally {
    endRun();
  }
}

async function runLlm() {
  const s = state.settings;
  if (!state.llmKey && s.llmProvider === 'anthropic') {
    showError('LLM refine needs an API key for the provider.');
    return;
  }
  const blocked = cspRefusal(s.llmBase);
  if (blocked) {
    showError(`LLM refine cannot reach the server: ${blocked}`);
    logLine('error', `LLM refine: ${blocked.split(':')[0]} is blocked by the page's Content-Security-Policy`);
    return;
  }
  startRun('llm');
  try {
    const args = {
      provider: s.llmProvider,
      base_url: s.llmBase,
      model: s.llmModel,
      rounds: s.llmRounds,
      steps_per_round: Math.min(s.steps, 200),
      scene: state.scene,
      target: { width: state.target!.width, height: state.target!.height },
    };
    $('stat-step').textContent = 'round 1';
    const out = await callPythonRun('llm', args, { chart: true }, (r: PyRound) => {
      $('stat-step').textContent = `round ${r.round + 1}`;
      const kind = r.rolled_back ? 'reject' : r.accepted ? 'accept' : r.error ? 'error' : 'info';
      logLine(kind, `LLM round ${r.round}: ${r.rolled_back ? 'rolled back' : r.accepted ? 'applied' : 'no change'} — ${r.message ?? ''} (${fmt(r.loss_before)} → ${fmt(r.loss_after)})`);
      if (r.accepted && r.loss_after != null) pushLoss({ ...zeroBreakdown(), total: r.loss_after, mse: NaN });
      if (r.scene && r.accepted) setScene(validateScene(r.scene), { label: `LLM round ${r.round}`, loss: r.loss_after ?? null });
    }, state.llmKey);
    // A later round may be accepted within the rollback tolerance yet end a little worse than
    // an earlier one: the run's result is then the best scene, not the last one shown.
    if (out.rewound && out.scene) setScene(validateScene(out.scene), { label: 'LLM best', loss: out.loss ?? null });
    if (out.error) {
      const msg = `LLM refine failed: ${out.error}`;
      showError(msg);
      logLine('error', msg);
    }
    state.resume = out.cancelled ? { kind: 'llm' } : null;
  } catch (e) {
    reportRunError('LLM refine', e);
  } finally {
    endRun();
  }
}

function stop() {
  // Console and devtools code stops on Esc/Stop as on Ctrl+C.
  if (py?.busy) py.interrupt();
  if (!state.running) return;
  state.stopRequested = true;
  setStatus(`stopping the ${state.running} run — keeping the best result…`);
  void engine().then((e) => e.cancel());
  // Python's runs see it through their hooks' shouldStop() (python.ts), which cancels their engines.
}

function resume() {
  const r = state.resume;
  if (!r || state.running) return;
  state.resume = null;
  if (r.kind === 'optimize') void runOptimize(r.remaining || state.settings.steps);
  else if (r.kind === 'greedy') void runGreedy();
  else if (r.kind === 'llm') void runLlm();
  else void runPipeline(r);
}

// ---------------------------------------------------------------------------------------------
// Python

let py: PythonRuntime | null = null;
let pyConsole: PyConsole | null = null;
const pyDeferred = deferred<PythonRuntime>();
const pyLoaded = pyDeferred.promise;
/** Settles when start-up has finished: with the page's state, or with why it did not get ready. */
const pageReady = deferred<unknown>();
/** What is waiting for Python to load, said on the status line while it loads. */
let pyWaiting: string | null = null;

/** Python, waiting for it (and saying so on the status line) if it is still loading. */
async function python(what: string): Promise<PythonRuntime> {
  if (py) return py;
  pyWaiting = what;
  setStatus(`waiting for Python to ${what}…`);
  return pyLoaded;
}

type PyRunResult = PageRunResult;

/** Runs one of pelican_app's page actions; `onRound` receives each round's record. */
async function callPythonRun(kind: 'greedy' | 'llm' | 'vectorize', args: object, view: { chart: boolean }, onRound: (r: PyRound) => void, apiKey?: string): Promise<PyRunResult> {
  if (!py) throw new Error('Python is still loading.');
  const hooks = {
    round: onRound,
    progress: (p: { breakdown?: Breakdown }) => {
      // Greedy's candidates are fitted side by side and mostly thrown away: their traces would
      // bury the accepted rounds' line, and their loss is not the scene's.
      if (p.breakdown && view.chart) {
        pushLoss(p.breakdown);
        state.breakdown = p.breakdown;
        updateStats();
      }
    },
    shouldStop: () => state.stopRequested,
    // The key goes to Python for this one call and is not kept there.
    apiKey: () => apiKey ?? '',
  };
  return py.bridge.run_page_action(kind, args, hooks);
}

/** The `pelican_page` module: what pelican_app.py may ask of the page. */
const pageModule = {
  getScene: () => JSON.stringify(state.scene),
  setScene: (json: string, label: string) => {
    if (state.running) throw new Error(`a ${state.running} run is in progress; stop it first (app.stop())`);
    const scene = validateScene(JSON.parse(json));
    const t = state.target!;
    if (Math.abs(scene.width / scene.height - t.width / t.height) > 0.02) {
      throw new SceneError(`scene is ${scene.width}x${scene.height} but the target is ${t.width}x${t.height}; the aspect must match`);
    }
    setScene({ ...scene, width: t.width, height: t.height }, { label: label || 'python' });
  },
  getTarget: () => ({ width: state.target!.width, height: state.target!.height, channels: state.target!.channels, pixels: state.target!.pixels }),
  setTarget: (json: string, width: number, height: number, label: string, channels = 1) => {
    if (state.running) throw new Error(`a ${state.running} run is in progress; stop it first (app.stop())`);
    const px = Float32Array.from(JSON.parse(json) as number[]);
    rememberForUndo();
    const c = new OffscreenCanvas(width, height);
    c.getContext('2d')!.putImageData(planesToImageData(px, width, height), 0, 0);
    state.source = { canvas: c, blob: null, label: label || 'python', width, height };
    void c.convertToBlob({ type: 'image/png' }).then((b) => {
      if (state.source?.canvas === c) state.source.blob = b;
      scheduleSave();
    });
    state.target = { width, height, channels: channels === 3 ? 3 : 1, pixels: px, label: label || 'python' };
    targetVersion++;
    drawTarget();
    resetForTarget(`target from ${label || 'python'}`);
  },
  run: async (kind: string, json: string) => {
    if (state.running) throw new Error(`a ${state.running} run is already in progress`);
    const a = JSON.parse(json) as Record<string, number | string>;
    if (kind === 'optimize') {
      const out = await runOptimize(Number(a.steps ?? state.settings.steps));
      return JSON.stringify({ best_loss: out.bestLoss, steps_completed: out.stepsCompleted, cancelled: out.cancelled });
    }
    if (kind === 'greedy') {
      if (a.maxShapes) state.settings.maxShapes = Number(a.maxShapes);
      if (a.proposal) state.settings.proposal = a.proposal as Settings['proposal'];
      if (a.candidates) state.settings.candidates = Number(a.candidates);
      syncInputs();
      await runGreedy();
      return JSON.stringify({ shapes: state.scene!.shapes.length, loss: state.breakdown?.total ?? null });
    }
    throw new Error(`unknown page action ${kind}`);
  },
  stop: () => stop(),
  log: (text: string) => logLine('info', text),
};

async function pyRepr(code: string): Promise<string | null> {
  if (!py) throw new Error('Python is still loading.');
  try {
    return (await py.bridge.console_run(code)) ?? null;
  } catch (e) {
    throw normalisePythonError(e);
  }
}

// ---------------------------------------------------------------------------------------------
// Export / import

/** The SVG of a scene, as pelican.svg writes it, sized as the original picture (its viewBox stays the canvas). */
async function sceneSvg(scene: Scene): Promise<string> {
  const [w, h] = exportSize(scene);
  return (await python('write the SVG')).bridge.export_svg(JSON.stringify(scene), w, h);
}

async function exportSvg() {
  try {
    download('pelican.svg', await sceneSvg(state.scene!), 'image/svg+xml');
  } catch (e) {
    showError(`Could not export the SVG: ${cleanTraceback((e as Error).message)}`);
  }
}

/** A scene from one of our SVGs, read by pelican.from_svg (which refuses anything else). */
async function svgScene(text: string): Promise<Scene> {
  return validateScene(JSON.parse(await (await python('read the SVG')).bridge.import_svg(text)));
}

/** The original picture's size when the scene is on its target (same aspect), else the scene's own. */
function exportSize(scene: Scene): [number, number] {
  const src = state.source;
  if (!src || Math.abs(src.width / src.height - scene.width / scene.height) > 0.02) return [scene.width, scene.height];
  return [src.width, src.height];
}

const PNG_MIN = 16;
const PNG_MAX = 4096;

async function exportPng() {
  const scene = state.scene!;
  const input = $('png-size') as HTMLInputElement;
  const asked = Number(input.value);
  const size = Math.max(PNG_MIN, Math.min(PNG_MAX, Math.round(asked) || 1024));
  if (Number.isFinite(asked) && asked !== 0 && size !== asked) {
    notice(`PNG size ${input.value} is outside ${PNG_MIN}–${PNG_MAX}: exported at ${size} px on the long side.`);
    input.value = String(size);
  }
  const k = size / Math.max(scene.width, scene.height);
  const w = Math.max(1, Math.round(scene.width * k));
  const h = Math.max(1, Math.round(scene.height * k));
  const px = await withEngine(async (e) => {
    await prepare(e, scene);
    return e.render(0.5 / Math.max(w, h), w, h);
  });
  download('pelican.png', await planesToPng(px, w, h));
}

function metrics() {
  return {
    resolution: [state.target?.width, state.target?.height],
    shapes: state.scene?.shapes.length ?? 0,
    final_loss: state.breakdown ?? null,
    steps_completed: state.stepBase,
    loss_history: state.chartX.map((x, i) => ({ step: x, total: state.chartTotal[i], mse: state.chartMse[i] })),
    stages: state.stages.map((s) => ({ label: s.label, loss: s.loss, shapes: s.scene.shapes.length })),
    rounds: state.log,
    timings_ms: state.timings,
  };
}

async function importSceneFile(file: File) {
  if (state.running) {
    showError('Stop the run before importing a scene.');
    return;
  }
  try {
    const text = await file.text();
    await whenShapeModel();
    let scene: Scene;
    if (/\.svg$/i.test(file.name) || text.trimStart().startsWith('<')) scene = await svgScene(text);
    else {
      let doc: unknown;
      try {
        doc = JSON.parse(text);
      } catch {
        throw new SceneError(`${file.name} is not valid JSON`);
      }
      scene = validateScene(doc);
    }
    const t = state.target!;
    if (Math.abs(scene.width / scene.height - t.width / t.height) > 0.02) {
      throw new SceneError(`${file.name} is ${scene.width}×${scene.height}, the target ${t.width}×${t.height}: the aspect ratios differ`);
    }
    showError(null);
    setScene({ ...scene, width: t.width, height: t.height }, { label: `imported ${file.name}` });
  } catch (e) {
    const msg = `Could not import ${file.name}: ${(e as Error).message}`;
    showError(msg);
    logLine('error', msg);
  }
}

/** A dropped or picked file: our scenes are imported, anything else is a new target image. */
async function acceptFile(file: File) {
  const name = file.name.toLowerCase();
  if (name.endsWith('.json') || file.type === 'application/json') return importSceneFile(file);
  if (name.endsWith('.svg') || file.type === 'image/svg+xml') {
    // One of our SVGs (pelican.from_svg reads it) is a scene; any other SVG is a picture.
    const isScene = await svgScene(await file.text()).then(() => true, () => false);
    if (isScene) return importSceneFile(file);
  }
  return loadImageFile(file);
}

// ---------------------------------------------------------------------------------------------
// Persistence

let saveTimer = 0;
let restoring = true;

function scheduleSave() {
  if (restoring) return;
  clearTimeout(saveTimer);
  saveTimer = window.setTimeout(() => void saveNow(), 400);
}

async function saveNow() {
  if (!state.scene || !state.source) return;
  clearTimeout(saveTimer);
  const doc: SessionDoc = {
    v: 1,
    settings: state.settings,
    source: state.source.blob,
    sourceLabel: state.source.label,
    scene: state.scene,
    stages: state.stages,
    current: state.current,
    chart: { x: state.chartX, total: state.chartTotal, mse: state.chartMse },
    log: state.log,
    resume: state.resume,
    interrupted: state.running ? { kind: state.running, phase: state.running === 'pipeline' ? pipelinePhase : undefined } : null,
  };
  if (state.settings.llmRemember && state.llmKey) doc.llmKey = state.llmKey;
  try {
    await saveSession(doc);
    document.body.dataset.saved = String(Date.now());
  } catch (e) {
    console.warn('autosave failed', e);
  }
}

/** Set by restore() when this tab forked its own session (another tab has the one it opened). */
let forkedFrom: string | null = null;
/** The run a reload cut short, if any (restore() sets it; boot offers to resume it). */
let interruptedRun: RunKind | null = null;

async function restore(): Promise<boolean> {
  const claim = await claimSession();
  useSessionKey(claim.key);
  forkedFrom = claim.forkedFrom;
  if (!forkedFrom && claim.key === MAIN_SESSION && !maySessionExist()) return false;
  let doc: SessionDoc | undefined;
  try {
    doc = await loadSession<SessionDoc>(forkedFrom ?? claim.key);
  } catch {
    return false;
  }
  if (!doc || doc.v !== 1) return false;
  try {
    state.settings = { ...DEFAULT_SETTINGS, ...doc.settings };
    if (doc.source) {
      const bmp = await createImageBitmap(doc.source);
      await setSourceFromImage(bmp, bmp.width, bmp.height, doc.sourceLabel, doc.source);
    } else await loadDefaultTarget();
    // Validation reads the engine's table: a restored scene waits for it.
    await whenShapeModel();
    const scene = validateScene(doc.scene);
    const t = state.target!;
    state.scene = { ...scene, width: t.width, height: t.height };
    state.stages = doc.stages ?? [];
    state.current = doc.current ?? state.stages.length - 1;
    state.chartX = doc.chart?.x ?? [];
    state.chartTotal = doc.chart?.total ?? [];
    state.chartMse = doc.chart?.mse ?? [];
    state.stepBase = state.chartX[state.chartX.length - 1] ?? 0;
    state.log = doc.log ?? [];
    state.resume = doc.resume ?? null;
    const cut = doc.interrupted;
    if (cut) {
      interruptedRun = cut.kind;
      state.resume =
        cut.kind === 'optimize' ? { kind: 'optimize', remaining: state.settings.steps }
        : cut.kind === 'pipeline' ? { kind: 'pipeline', phase: cut.phase ?? 'optimize', remaining: state.settings.steps }
        : { kind: cut.kind };
    }
    state.llmKey = doc.llmKey ?? '';
    return true;
  } catch (e) {
    console.warn('could not restore the saved session; starting fresh', e);
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Inputs ↔ settings

/** The provider whose base URL and model the inputs show. */
let shownProvider: LlmProvider = DEFAULT_SETTINGS.llmProvider;

function syncInputs() {
  const s = state.settings;
  shownProvider = s.llmProvider;
  const set = (id: string, v: string | number) => (($(id) as HTMLInputElement).value = String(v));
  set('res-select', s.res);
  set('opt-steps', s.steps);
  set('opt-lr', s.lr);
  set('greedy-max', s.maxShapes);
  set('greedy-proposal', s.proposal);
  set('greedy-candidates', s.candidates);
  set('greedy-failures', s.maxFailures);
  set('llm-provider', s.llmProvider);
  set('llm-base', s.llmBase);
  set('llm-model', s.llmModel);
  set('llm-rounds', s.llmRounds);
  set('llm-key', state.llmKey);
  ($('llm-remember') as HTMLInputElement).checked = s.llmRemember;
}

function bindInputs() {
  const num = (id: string, key: keyof Settings, lo: number, hi: number) =>
    $(id).addEventListener('change', () => {
      const el = $(id) as HTMLInputElement;
      const v = Math.min(hi, Math.max(lo, Number(el.value)));
      if (Number.isFinite(v)) (state.settings as unknown as Record<string, number>)[key] = v;
      el.value = String((state.settings as unknown as Record<string, number>)[key]);
      scheduleSave();
    });
  num('opt-steps', 'steps', 1, 5000);
  num('opt-lr', 'lr', 0.0001, 1);
  num('greedy-max', 'maxShapes', 1, 200);
  num('greedy-candidates', 'candidates', 1, 16);
  num('greedy-failures', 'maxFailures', 1, 50);
  num('llm-rounds', 'llmRounds', 1, 20);
  const str = (id: string, key: keyof Settings) =>
    $(id).addEventListener('change', () => {
      (state.settings as unknown as Record<string, string>)[key] = ($(id) as HTMLInputElement).value.trim();
      scheduleSave();
    });
  str('greedy-proposal', 'proposal');
  str('llm-provider', 'llmProvider');
  str('llm-base', 'llmBase');
  str('llm-model', 'llmModel');
  // Each provider keeps its own base URL and model: a Claude model name means nothing to a local server.
  $('llm-provider').addEventListener('change', () => {
    const s = state.settings;
    const p = s.llmProvider;
    if (p === shownProvider) return;
    s.llmPerProvider = { ...s.llmPerProvider, [shownProvider]: { base: s.llmBase, model: s.llmModel } };
    const next = s.llmPerProvider[p] ?? LLM_DEFAULTS[p];
    s.llmBase = next.base;
    s.llmModel = next.model;
    shownProvider = p;
    syncInputs();
    scheduleSave();
  });
  $('llm-key').addEventListener('input', () => {
    state.llmKey = ($('llm-key') as HTMLInputElement).value;
    if (state.settings.llmRemember) scheduleSave();
  });
  $('llm-remember').addEventListener('change', () => {
    state.settings.llmRemember = ($('llm-remember') as HTMLInputElement).checked;
    scheduleSave();
  });
  $('res-select').addEventListener('change', () => void changeResolution(Number(($('res-select') as HTMLSelectElement).value)));
  bindColorControls(state.settings, () => state.source?.label ?? '', (what) => void colorChanged(what));
}

// ---------------------------------------------------------------------------------------------
// Shapes panel and keyboard

function select(i: number) {
  if (!state.scene) return;
  state.selected = Math.max(-1, Math.min(state.scene.shapes.length - 1, i));
  renderShapes();
  const li = $('shape-list').querySelector(`li[data-index="${state.selected}"]`);
  li?.scrollIntoView({ block: 'nearest' });
}

function moveSelected(delta: number) {
  const i = state.selected;
  const j = i + delta;
  if (!state.scene || i < 0 || j < 0 || j >= state.scene.shapes.length) return;
  editScene((s) => {
    const [sh] = s.shapes.splice(i, 1);
    s.shapes.splice(j, 0, sh);
  }, `move ${state.scene.shapes[i].name} ${delta > 0 ? 'forward' : 'back'}`);
  state.selected = j;
  renderShapes();
}

function deleteSelected() {
  const i = state.selected;
  if (!state.scene || i < 0) return;
  const name = state.scene.shapes[i].name;
  editScene((s) => void s.shapes.splice(i, 1), `delete ${name}`);
}

function freezeSelected() {
  const i = state.selected;
  if (!state.scene || i < 0) return;
  const sh = state.scene.shapes[i];
  editScene((s) => {
    s.shapes[i].frozen = !s.shapes[i].frozen || undefined;
    if (!s.shapes[i].frozen) delete s.shapes[i].frozen;
  }, `${sh.frozen ? 'unfreeze' : 'freeze'} ${sh.name}`);
}

function toggleTheme() {
  const dark = document.documentElement.dataset.theme === 'dark';
  state.settings.theme = dark ? 'light' : 'dark';
  applyTheme();
  scheduleSave();
}

function applyTheme() {
  const t = state.settings.theme ?? (matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light');
  document.documentElement.dataset.theme = t;
  chart?.restyle();
  drawOverlay();
}

function onKey(e: KeyboardEvent) {
  // An open dialog owns the keyboard (Escape closes it natively).
  if (document.querySelector('dialog[open]')) return;
  const el = e.target as HTMLElement;
  if (el && (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT')) {
    if (e.key === 'Escape') (el as HTMLElement).blur();
    return;
  }
  if ((e.ctrlKey || e.metaKey) && !e.shiftKey && !e.altKey && e.key.toLowerCase() === 'z') {
    if (targetUndo.length) {
      e.preventDefault();
      undoTarget();
    }
    return;
  }
  if (e.ctrlKey || e.metaKey || e.altKey) return;
  const k = e.key;
  const click = (id: string) => {
    const b = $(id) as HTMLButtonElement;
    if (!b.disabled) b.click();
  };
  if (k === 'Escape') stop();
  else if (k === 'r') click('btn-run');
  else if (k === 'o') click('btn-optimize');
  else if (k === 'g') click('btn-greedy');
  else if (k === 'u') click('btn-resume');
  else if (k === 'z') gotoStage(state.current - 1);
  else if (k === 'j') select(state.selected + 1);
  else if (k === 'k') select(state.selected - 1);
  else if (k === ']') moveSelected(1);
  else if (k === '[') moveSelected(-1);
  else if (k === 'f') freezeSelected();
  else if (k === 'Delete' || k === 'Backspace') deleteSelected();
  else if (k === 't') toggleTheme();
  else if (k === '?') ($('help') as HTMLDialogElement).showModal();
  else if (k === '`') {
    const p = $('panel-console') as HTMLDetailsElement;
    p.open = true;
    $('console-in').focus();
  } else return;
  e.preventDefault();
}

function bindUi() {
  $('btn-run').addEventListener('click', () => void runPipeline());
  $('btn-optimize').addEventListener('click', () => void runOptimize().catch(() => undefined));
  $('btn-greedy').addEventListener('click', () => void runGreedy());
  $('btn-llm').addEventListener('click', () => void runLlm());
  $('btn-stop').addEventListener('click', stop);
  $('btn-resume').addEventListener('click', resume);
  $('btn-theme').addEventListener('click', toggleTheme);
  $('btn-help').addEventListener('click', () => ($('help') as HTMLDialogElement).showModal());
  $('btn-default').addEventListener('click', async () => {
    if (state.running) return;
    rememberForUndo();
    await loadDefaultTarget();
    showError(null);
    resetForTarget('built-in pelican');
    offerUndo('Back to the built-in pelican');
  });
  for (const b of document.querySelectorAll<HTMLButtonElement>('button[data-opens]')) {
    b.addEventListener('click', () => $(b.dataset.opens!).click());
  }
  activateOnEnter($('shape-list'));
  activateOnEnter($('timeline'));
  $('file-input').addEventListener('change', () => {
    const input = $('file-input') as HTMLInputElement;
    const f = input.files?.[0];
    input.value = '';
    if (f) void acceptFile(f);
  });
  $('scene-input').addEventListener('change', () => {
    const input = $('scene-input') as HTMLInputElement;
    const f = input.files?.[0];
    input.value = '';
    if (f) void importSceneFile(f);
  });
  $('shape-list').addEventListener('click', (e) => {
    const li = (e.target as HTMLElement).closest('li');
    if (li) select(Number(li.dataset.index) === state.selected ? -1 : Number(li.dataset.index));
  });
  $('timeline').addEventListener('click', (e) => {
    const li = (e.target as HTMLElement).closest('li');
    if (li) gotoStage(Number(li.dataset.index));
  });
  $('btn-shape-up').addEventListener('click', () => moveSelected(1));
  $('btn-shape-down').addEventListener('click', () => moveSelected(-1));
  $('btn-shape-freeze').addEventListener('click', freezeSelected);
  $('btn-shape-delete').addEventListener('click', deleteSelected);

  $('btn-export-svg').addEventListener('click', () => void exportSvg());
  $('btn-export-png').addEventListener('click', () => void exportPng().catch((e) => showError(String(e))));
  $('btn-export-json').addEventListener('click', () => download('pelican-scene.json', JSON.stringify(state.scene, null, 2), 'application/json'));
  $('btn-export-metrics').addEventListener('click', () => download('metrics.json', JSON.stringify(metrics(), null, 2), 'application/json'));
  $('btn-export-gif').addEventListener('click', async () => {
    try {
      download('pelican-run.gif', await encodeGif(state.frames));
    } catch (e) {
      showError((e as Error).message);
    }
  });

  // Drag and drop anywhere; paste anywhere outside text fields.
  const zone = $('drop-zone');
  let depth = 0;
  window.addEventListener('dragenter', (e) => {
    if (!e.dataTransfer?.types.includes('Files')) return;
    depth++;
    zone.classList.add('dragging');
    $('drop-hint').hidden = false;
  });
  window.addEventListener('dragleave', () => {
    depth = Math.max(0, depth - 1);
    if (depth === 0) {
      zone.classList.remove('dragging');
      $('drop-hint').hidden = true;
    }
  });
  window.addEventListener('dragover', (e) => e.preventDefault());
  window.addEventListener('drop', (e) => {
    e.preventDefault();
    depth = 0;
    zone.classList.remove('dragging');
    $('drop-hint').hidden = true;
    const f = e.dataTransfer?.files?.[0];
    if (f) void acceptFile(f);
  });
  window.addEventListener('paste', (e) => {
    const el = e.target as HTMLElement;
    if (el && (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA')) return;
    const item = [...(e.clipboardData?.items ?? [])].find((i) => i.kind === 'file');
    const f = item?.getAsFile();
    if (f) {
      e.preventDefault();
      void acceptFile(f);
    }
  });
  window.addEventListener('keydown', onKey);
  window.addEventListener('resize', drawOverlay);
  matchMedia('(prefers-color-scheme: dark)').addEventListener('change', applyTheme);
}

// ---------------------------------------------------------------------------------------------
// Boot: target and scene first (visible at once), then the engine and Python in parallel.

async function boot() {
  // The engine worker starts at once (it loads off the main thread), and so does the download of
  // Python's worker with its snapshot download; Pyodide's start-up (in that worker) and its
  // engine pool wait until the target and the first render are on screen, not to compete with them.
  void engine()
    .then((e) => e.shapeModel())
    .then(setShapeModel)
    .catch(shapeModelFailed);
  prefetchPyodide();
  bindUi();
  bindInputs();
  setStatus('drawing the target…');
  const restored = await restore();
  if (!restored) await loadDefaultTarget();
  applyTheme();
  syncInputs();
  drawTarget();
  mark('firstRender');
  void startPyodide().catch(() => undefined);
  if (!restored) {
    // The initial pelican is the engine's (its table holds it): the target shows meanwhile.
    await whenShapeModel();
    const t = state.target!;
    state.scene = initialScene(t.width, t.height);
    state.stages = [{ label: 'initial pelican', scene: structuredClone(state.scene), loss: null, at: 0 }];
    state.current = 0;
  }
  drawSceneSketch();
  chart = new LossChart($('chart'));
  chart.setData(state.chartX, state.chartTotal, state.chartMse);
  renderShapes();
  renderTimeline();
  renderLog();
  updateButtons();
  restoring = false;
  if (forkedFrom) {
    // The copy is this tab's from now on: saved at once under its own key.
    void saveNow();
    notice('This session is open in another tab: this tab goes on with its own copy, so neither overwrites the other.');
  } else if (interruptedRun) {
    notice(`A ${interruptedRun} run was cut short by a reload; its last accepted round is kept.`, {
      label: 'Resume',
      run: () => void pageReady.promise.then(() => resume(), () => undefined),
    });
  }

  pyConsole = new PyConsole($('console-out'), $('console-in') as HTMLTextAreaElement, pyRepr, (h) => {
    state.settings.consoleHistory = h.slice(-200);
    scheduleSave();
  });

  setStatus('loading the compute engine and Python…');
  const enginePart = (async () => {
    const e = await engine();
    state.engineReady = true;
    mark('engineReady');
    updateButtons();
    await refreshRender();
    return e;
  })();
  const pythonPart = (async () => {
    if (!hasPelicanPackage()) console.warn('py/pelican is not in this build; the console has only `app`.');
    py = await loadPython(pageModule, (text, stream) => pyConsole?.write(text, stream === 'err' ? 'err' : undefined), (s) => {
      if (!state.pythonReady) setStatus(pyWaiting ? `${s} (then: ${pyWaiting})` : s);
    });
    state.pythonReady = true;
    mark('pythonReady');
    pyConsole!.attach(py, state.settings.consoleHistory);
    updateButtons();
    return py;
  })();
  pythonPart.then(pyDeferred.resolve, pyDeferred.reject);
  const [eng, pyt] = await Promise.allSettled([enginePart, pythonPart]);
  const problems: string[] = [];
  if (eng.status === 'rejected') problems.push(`engine: ${(eng.reason as Error).message}`);
  if (pyt.status === 'rejected') problems.push(`Python: ${(pyt.reason as Error).message}`);
  if (problems.length) {
    setStatus('not ready — ' + problems.join('; '));
    showError(problems.join('\n'));
  } else {
    setStatus(`ready · engine ${state.timings.engineReady} ms · Python ${state.timings.pythonReady} ms${restored ? ' · session restored' : ''}`, true);
  }
  document.body.dataset.ready = problems.length ? 'error' : 'true';
  if (problems.length) pageReady.reject(new Error(`the page did not get ready: ${problems.join('; ')}`));
  else pageReady.resolve(api.state);
}

/** How long pelican.py waits for Python to load unless told otherwise. */
const PY_WAIT_MS = 120_000;

// The devtools door: `await pelican.py("app.scene['shapes'][0]")`.
const api = {
  /** Runs Python; called before Python has loaded, it waits (up to `timeout` ms) for it. */
  py: async (code: string, options?: { timeout?: number }) => {
    const ms = options?.timeout ?? PY_WAIT_MS;
    const runtime = py ?? (await within(pyLoaded, ms, () => `pelican.py: Python did not finish loading within ${ms / 1000} s (status: ${$('status').textContent})`));
    return runtime.run(code);
  },
  /** A promise: the page's state once the engine and Python are ready; rejected if start-up failed. */
  ready: pageReady.promise,
  get state() {
    return {
      scene: state.scene,
      stages: state.stages.map((s) => ({ label: s.label, loss: s.loss, shapes: s.scene.shapes.length })),
      current: state.current,
      log: state.log,
      running: state.running,
      resume: state.resume,
      breakdown: state.breakdown,
      steps: state.stepBase,
      frames: state.frames.length,
      lossHistory: state.chartTotal.slice(),
      target: state.target && { width: state.target.width, height: state.target.height, label: state.target.label },
      timings: state.timings,
      engineReady: state.engineReady,
      pythonReady: state.pythonReady,
      /** How Python started: 'snapshot' (resumed from the build's) or 'cold'. */
      pythonStart: py?.start ?? null,
      pelicanPackage: hasPelicanPackage() ? (py?.pelicanVersion ?? null) : null,
    };
  },
  /** Pixels of the current render as the engine draws it (for checks from devtools or tests). */
  render: async (w?: number, h?: number) => {
    const scene = state.scene!;
    const W = w ?? scene.width;
    const H = h ?? scene.height;
    return withEngine(async (e) => {
      await prepare(e, scene);
      return Array.from(await e.render(0.5 / Math.max(W, H), W, H));
    });
  },
  target: () => state.target && { width: state.target.width, height: state.target.height, channels: state.target.channels, pixels: Array.from(state.target.pixels) },
  /** The SVG Export SVG writes (pelican.to_svg). */
  svg: () => sceneSvg(state.scene!),
  engine: () => engine(),
  save: () => saveNow(),
};
(window as unknown as { pelican: typeof api }).pelican = api;

void boot().catch((e) => {
  pyDeferred.reject(e);
  pageReady.reject(e);
  setStatus('failed to start: ' + (e as Error).message);
  showError(String((e as Error).stack ?? e));
  document.body.dataset.ready = 'error';
});
