// What every run shares: starting (buttons locked, the error cleared), ending (the status line
// names the outcome, the session is saved), its errors, and the Step/ETA figures.
import { splitError } from './error-box';
import { logLine, setStatus, showError } from './messages';
import type { Page } from './page';
import type { RunKind } from './page-state';

export function startRun(page: Page, kind: RunKind): void {
  page.store.update(
    (s) => {
      s.runOutcome = null;
      s.running = kind;
      s.stopRequested = false;
      s.error = null;
    },
    'error',
    'buttons',
  );
}

export function endRun(page: Page): void {
  const { store } = page;
  const s = store.state;
  const kind = s.running;
  const failed = !!s.error;
  const text =
    s.runOutcome ??
    (failed
      ? `${kind} failed — see the message below`
      : s.stopRequested
        ? `${kind} stopped — the best result is kept; Resume (u) goes on`
        : `${kind} done`);
  store.update((st) => void (st.running = null));
  // No loss here: the Loss figure has it, and stays right after later edits.
  setStatus(store, `${text} · ${s.scene?.shapes.length ?? 0} shapes`, !failed);
  store.update((st) => void (st.progress.eta = '–'), 'progress', 'buttons', 'save');
}

export function reportRunError(page: Page, what: string, e: unknown): void {
  const err = e as Error;
  // A Python error's own class name is in its text; other kinds (EngineError, …) are named here.
  const kind = !err?.name || ['Error', 'PythonError'].includes(err.name) ? '' : `${err.name}: `;
  const msg = `${what} failed: ${kind}${err?.message ?? String(e)}`;
  showError(page.store, msg);
  logLine(page.store, 'error', splitError(msg).line);
}

/** Runs need shapes to move; an empty scene gets told why nothing happens. */
export function refuseEmptyScene(page: Page, what: string): boolean {
  const { scene } = page.store.state;
  if (scene && scene.shapes.length > 0) return false;
  showError(
    page.store,
    `${what}: the scene has no shapes, so there is nothing to fit. Start from the built-in shapes (Built-in pelican), import a scene, or add shapes from the console (app.scene).`,
  );
  return true;
}

export function showProgress(page: Page, progress: { step?: string; eta?: string }): void {
  page.store.update((s) => void Object.assign(s.progress, progress), 'progress');
}

export const fmt = (v?: number | null) => (v === undefined || v === null ? '–' : v.toFixed(5));
