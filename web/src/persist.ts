// Autosave and restore of the session (session-db.ts holds it in IndexedDB). Persistence
// follows the store: a change marked 'save' is saved after a short pause, one marked
// 'checkpoint' (an accepted round during a run) at once, so a reload keeps it.
import type { Page } from './page';
import { DEFAULT_SETTINGS, type AllSettings, type LogLine, type Resume, type RunKind, type Stage } from './page-state';
import { validateScene, type Scene } from './scene';
import { loadSession, maySessionExist, saveSession, useSessionKey } from './session-db';
import { claimSession, MAIN_SESSION } from './session-key';
import { whenShapeModel } from './model';
import { loadDefaultTarget, setSourceFromImage } from './target-actions';

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

/** The pause after a change before it is saved: typing and dragging settle first. */
const SAVE_DELAY_MS = 400;

export class Persistence {
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** Nothing is saved until boot has put the restored (or new) session on the page. */
  #restoring = true;
  #saves = 0;
  /** Set by restore() when this tab forked its own session (another tab has the one it opened). */
  forkedFrom: string | null = null;

  constructor(readonly page: Page) {
    page.store.subscribe((aspects) => {
      if (aspects.has('checkpoint')) void this.saveNow();
      else if (aspects.has('save')) this.schedule();
    });
  }

  /** From now on changes are saved. */
  started(): void {
    this.#restoring = false;
  }

  schedule(): void {
    if (this.#restoring) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.saveNow(), SAVE_DELAY_MS);
  }

  async saveNow(): Promise<void> {
    const s = this.page.store.state;
    if (!s.scene || !s.source) return;
    clearTimeout(this.#timer);
    const doc: SessionDoc = {
      v: 1,
      settings: s.settings,
      source: s.source.blob,
      sourceLabel: s.source.label,
      scene: s.scene,
      stages: s.stages,
      current: s.current,
      chart: { x: s.chartX, total: s.chartTotal, mse: s.chartMse },
      log: s.log,
      resume: s.resume,
      interrupted: s.running
        ? { kind: s.running, phase: s.running === 'pipeline' ? s.pipelinePhase : undefined }
        : null,
    };
    if (s.settings.llmRemember && s.llmKey) doc.llmKey = s.llmKey;
    try {
      await saveSession(doc);
      // What is on disk, for tests and devtools: the saves so far (never repeats) and what the
      // last one holds, so a wait can be tied to one accepted round rather than to a clock.
      const body = document.body.dataset;
      body.saved = String(++this.#saves);
      body.savedShapes = String(doc.scene.shapes.length);
      body.savedRun = doc.interrupted?.kind ?? '';
    } catch (e) {
      console.warn('autosave failed', e);
    }
  }

  /** Puts the saved session on the page; false when there is none (or it cannot be read). */
  async restore(): Promise<boolean> {
    const { page } = this;
    const claim = await claimSession();
    useSessionKey(claim.key);
    this.forkedFrom = claim.forkedFrom;
    if (!this.forkedFrom && claim.key === MAIN_SESSION && !maySessionExist()) return false;
    let doc: SessionDoc | undefined;
    try {
      doc = await loadSession<SessionDoc>(this.forkedFrom ?? claim.key);
    } catch {
      return false;
    }
    if (!doc || doc.v !== 1) return false;
    const saved = doc;
    try {
      page.store.update((s) => void (s.settings = { ...DEFAULT_SETTINGS, ...saved.settings }));
      if (saved.source) {
        const bmp = await createImageBitmap(saved.source);
        await setSourceFromImage(page, bmp, bmp.width, bmp.height, saved.sourceLabel, saved.source);
      } else await loadDefaultTarget(page);
      // Validation reads the engine's table: a restored scene waits for it.
      await whenShapeModel();
      const scene = validateScene(saved.scene);
      page.store.update((s) => {
        const t = s.target!;
        s.scene = { ...scene, width: t.width, height: t.height };
        s.stages = saved.stages ?? [];
        s.current = saved.current ?? s.stages.length - 1;
        s.chartX = saved.chart?.x ?? [];
        s.chartTotal = saved.chart?.total ?? [];
        s.chartMse = saved.chart?.mse ?? [];
        s.stepBase = s.chartX[s.chartX.length - 1] ?? 0;
        s.log = saved.log ?? [];
        s.resume = saved.resume ?? null;
        const cut = saved.interrupted;
        if (cut) {
          s.interruptedRun = cut.kind;
          s.resume =
            cut.kind === 'optimize'
              ? { kind: 'optimize', remaining: s.settings.steps }
              : cut.kind === 'pipeline'
                ? { kind: 'pipeline', phase: cut.phase ?? 'optimize', remaining: s.settings.steps }
                : { kind: cut.kind };
        }
        s.llmKey = saved.llmKey ?? '';
      });
      return true;
    } catch (e) {
      console.warn('could not restore the saved session; starting fresh', e);
      return false;
    }
  }
}
