// The page's start: one store (page-state.ts), the views subscribed to it, the actions over it
// and the engine, the bridge for Python and the devtools, then boot. Target and scene first
// (visible at once), then the engine and Python in parallel.
//
// Dependency direction: main → (bridge, devtools, ui, inputs, views) → actions (runs,
// python-runs, optimize-run, scene-actions, target-actions, file-actions) → (page-engine,
// python-calls, messages, loss-history) → store. Nothing below imports what is above it
// (tests/web/imports.test.ts checks there is no import loop).
import './style.css';
import { createPageModule } from './bridge';
import { bindCanvasView, displaySize, drawSceneSketch, drawTarget } from './canvas-view';
import { LossChart } from './chart';
import { PyConsole } from './console';
import { deferred } from './deferred';
import { devtoolsApi, installDevtools } from './devtools';
import { engine } from './engine';
import { bindInputs, syncInputs } from './inputs';
import { applyTheme } from './keyboard';
import { notice, setStatus, showError } from './messages';
import { setShapeModel, shapeModelFailed, whenShapeModel } from './model';
import type { Page } from './page';
import { PageEngine } from './page-engine';
import { createPageStore } from './page-state';
import { bindChartView, bindPanelViews } from './panel-views';
import { Persistence } from './persist';
import { loadPython, prefetchPyodide, startPyodide } from './python';
import { PythonDoor } from './python-calls';
import { resume } from './runs';
import { initialScene } from './scene';
import { refreshRender } from './scene-actions';
import { loadDefaultTarget } from './target-actions';
import { bindUi } from './ui';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

const store = createPageStore();
const page: Page = { store, engine: new PageEngine(engine), python: new PythonDoor(store), displaySize };
const persistence = new Persistence(page);
/** Settles when start-up has finished: with the page's state, or with why it did not get ready. */
const pageReady = deferred<unknown>();
const api = devtoolsApi(page, persistence, pageReady);
installDevtools(api);
let chart: LossChart | null = null;

// Milliseconds since navigation start, so the numbers are what a user waits.
const mark = (name: string) => store.update((s) => void (s.timings[name] = Math.round(performance.now())));

async function boot() {
  // The engine worker starts at once (it loads off the main thread), and so does the download of
  // Python's snapshot (a worker too); Pyodide's start-up runs on the main thread, so it waits
  // until the target and the first render are on screen.
  void engine()
    .then((e) => e.shapeModel())
    .then(setShapeModel)
    .catch(shapeModelFailed);
  prefetchPyodide();
  bindCanvasView(store);
  bindPanelViews(store);
  bindUi(page, () => chart);
  bindInputs(page);
  setStatus(store, 'drawing the target…');
  const restored = await persistence.restore();
  if (!restored) await loadDefaultTarget(page);
  applyTheme(page, chart);
  syncInputs(store.state);
  drawTarget(store.state);
  mark('firstRender');
  void startPyodide().catch(() => undefined);
  if (!restored) {
    // The initial pelican is the engine's (its table holds it): the target shows meanwhile.
    await whenShapeModel();
    store.update((s) => {
      const t = s.target!;
      s.scene = initialScene(t.width, t.height);
      s.stages = [{ label: 'initial pelican', scene: structuredClone(s.scene), loss: null, at: 0 }];
      s.current = 0;
    });
  }
  drawSceneSketch(store.state);
  chart = new LossChart($('chart'));
  bindChartView(store, chart);
  store.update(() => undefined, 'scene', 'timeline', 'log', 'buttons');
  persistence.started();
  if (persistence.forkedFrom) {
    // The copy is this tab's from now on: saved at once under its own key.
    void persistence.saveNow();
    notice(
      store,
      'This session is open in another tab: this tab goes on with its own copy, so neither overwrites the other.',
    );
  } else if (store.state.interruptedRun) {
    notice(store, `A ${store.state.interruptedRun} run was cut short by a reload; its last accepted round is kept.`, {
      label: 'Resume',
      run: () =>
        void pageReady.promise.then(
          () => resume(page),
          () => undefined,
        ),
    });
  }

  const pyConsole = new PyConsole(
    $('console-out'),
    $<HTMLTextAreaElement>('console-in'),
    (code) => page.python.consoleRepr(code),
    (h) => {
      store.update((s) => void (s.settings.consoleHistory = h.slice(-200)), 'save');
    },
  );

  setStatus(store, 'loading the compute engine and Python…');
  const enginePart = (async () => {
    const e = await engine();
    store.update((s) => void (s.engineReady = true), 'buttons');
    mark('engineReady');
    await refreshRender(page);
    return e;
  })();
  const pythonPart = (async () => {
    const py = await loadPython(
      createPageModule(page),
      (text, stream) => pyConsole.write(text, stream === 'err' ? 'err' : undefined),
      (s) => {
        const waiting = page.python.waiting;
        if (!store.state.pythonReady) setStatus(store, waiting ? `${s} (then: ${waiting})` : s);
      },
      (busy) => store.update((s) => void (s.pythonBusy = busy), 'buttons'),
    );
    page.python.ready(py);
    store.update((s) => void (s.pythonReady = true));
    mark('pythonReady');
    pyConsole.attach(py, store.state.settings.consoleHistory);
    store.update(() => undefined, 'buttons');
    return py;
  })();
  pythonPart.catch((e) => page.python.failed(e));
  const [eng, pyt] = await Promise.allSettled([enginePart, pythonPart]);
  const problems: string[] = [];
  if (eng.status === 'rejected') problems.push(`engine: ${(eng.reason as Error).message}`);
  if (pyt.status === 'rejected') problems.push(`Python: ${(pyt.reason as Error).message}`);
  const t = store.state.timings;
  if (problems.length) {
    setStatus(store, 'not ready — ' + problems.join('; '));
    showError(store, problems.join('\n'));
  } else {
    setStatus(
      store,
      `ready · engine ${t.engineReady} ms · Python ${t.pythonReady} ms${restored ? ' · session restored' : ''}`,
      true,
    );
  }
  document.body.dataset.ready = problems.length ? 'error' : 'true';
  if (problems.length) pageReady.reject(new Error(`the page did not get ready: ${problems.join('; ')}`));
  else pageReady.resolve(api.state);
}

void boot().catch((e) => {
  page.python.failed(e);
  pageReady.reject(e);
  setStatus(store, 'failed to start: ' + (e as Error).message);
  showError(store, String((e as Error).stack ?? e));
  document.body.dataset.ready = 'error';
});
