// What the page holds: the target, the scene and its timeline, the run going on, the settings,
// and what the status line, the error banner and the notice say. Types and the initial value only;
// changes go through the store's update() (store.ts), made by the actions.
import type { Target } from './art';
import type { ColorSettings } from './color-controls';
import type { Breakdown } from './engine';
import type { Frame } from './exporters';
import type { LlmProvider } from './llm-reach';
import type { NoticeAction } from './notice';
import type { Scene } from './scene';
import { OPTIMIZE_DEFAULTS } from '../../workers/protocol';
import { createStore, type Store } from './store';

export type RunKind = 'optimize' | 'greedy' | 'llm' | 'pipeline';

export interface Stage {
  label: string;
  scene: Scene;
  loss: number | null;
  at: number; // chart x when the stage was reached
}

export interface LogLine {
  kind: 'accept' | 'reject' | 'error' | 'info';
  text: string;
}

export interface Settings {
  res: number;
  steps: number;
  lr: number;
  maxShapes: number;
  proposal: 'residual' | 'random';
  candidates: number;
  maxFailures: number;
  llmProvider: LlmProvider;
  llmBase: string;
  llmModel: string;
  llmRounds: number;
  llmRemember: boolean;
  /** Base URL and model last used with each provider, so switching back brings them back. */
  llmPerProvider?: Partial<Record<LlmProvider, { base: string; model: string }>>;
  theme: 'light' | 'dark' | null;
  consoleHistory: string[];
}

export type AllSettings = Settings & ColorSettings;

export interface Resume {
  kind: RunKind;
  /** Steps of an optimise still to run, when one was stopped. */
  remaining?: number;
  phase?: 'optimize' | 'greedy';
}

/** The picture the target comes from; width × height is its original size (the SVG's size on export). */
export interface Source {
  canvas: OffscreenCanvas;
  blob: Blob | null;
  label: string;
  width: number;
  height: number;
}

/** Everything a new target replaces, so that loading one (even a picture pasted by accident) can be undone. */
export interface TargetSnapshot {
  label: string;
  res: number;
  source: Source;
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

export const DEFAULT_SETTINGS: AllSettings = {
  colorMode: 'color',
  matte: '#ffffff',
  res: 128,
  steps: 500,
  lr: OPTIMIZE_DEFAULTS.lr,
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

export function initialPageState() {
  return {
    settings: { ...DEFAULT_SETTINGS } as AllSettings,
    source: null as Source | null,
    target: null as Target | null,
    /** Bumped whenever the target's pixels change: the engine is given them again. */
    targetVersion: 0,
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
    /** The pipeline's current phase, saved with the session so a reload resumes where it was. */
    pipelinePhase: undefined as 'optimize' | 'greedy' | undefined,
    /** What the status line says once a run has ended (set by the run; the default names the outcome). */
    runOutcome: null as string | null,
    /** The run a reload cut short, if any (restored from the session; boot offers to resume it). */
    interruptedRun: null as RunKind | null,
    frames: [] as Frame[],
    targetUndo: [] as TargetSnapshot[],
    llmKey: '',
    breakdown: null as Breakdown | null,
    engineReady: false,
    pythonReady: false,
    /** Console or devtools code is running in Python (Stop interrupts it, as Ctrl+C does). */
    pythonBusy: false,
    timings: {} as Record<string, number>,
    status: { text: 'starting…', ready: false },
    error: null as string | null,
    notice: null as { text: string; action?: NoticeAction } | null,
    /** The Step and ETA figures. */
    progress: { step: '0', eta: '–' },
    /** The latest picture for the render canvas: an exact render or a run's preview. */
    image: null as { pixels: Float32Array; width: number; height: number } | null,
  };
}

export type PageState = ReturnType<typeof initialPageState>;
export type PageStore = Store<PageState>;

export function createPageStore(): PageStore {
  return createStore(initialPageState());
}
