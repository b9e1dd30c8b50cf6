// The settings panels: inputs shown from the store ('settings'), and their changes written back.
import { bindColorControls, type ColorSettings } from './color-controls';
import { LLM_DEFAULTS, type LlmProvider } from './llm-reach';
import type { Page } from './page';
import { DEFAULT_SETTINGS, type PageState, type Settings } from './page-state';
import { changeResolution, colorChanged } from './target-actions';

const $ = <T extends HTMLElement = HTMLInputElement>(id: string) => document.getElementById(id) as T;

/** The provider whose base URL and model the inputs show. */
let shownProvider: LlmProvider = DEFAULT_SETTINGS.llmProvider;

export function syncInputs(state: PageState): void {
  const s = state.settings;
  shownProvider = s.llmProvider;
  const set = (id: string, v: string | number) => void ($(id).value = String(v));
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
  $('llm-remember').checked = s.llmRemember;
}

export function bindInputs(page: Page): void {
  const { store } = page;
  const settings = () => store.state.settings as unknown as Record<string, number | string>;
  const num = (id: string, key: keyof Settings, lo: number, hi: number) =>
    $(id).addEventListener('change', () => {
      const el = $(id);
      const v = Math.min(hi, Math.max(lo, Number(el.value)));
      store.update(() => {
        if (Number.isFinite(v)) settings()[key] = v;
      }, 'save');
      el.value = String(settings()[key]);
    });
  num('opt-steps', 'steps', 1, 5000);
  num('opt-lr', 'lr', 0.0001, 1);
  num('greedy-max', 'maxShapes', 1, 200);
  num('greedy-candidates', 'candidates', 1, 16);
  num('greedy-failures', 'maxFailures', 1, 50);
  num('llm-rounds', 'llmRounds', 1, 20);
  const str = (id: string, key: keyof Settings) =>
    $(id).addEventListener('change', () => store.update(() => void (settings()[key] = $(id).value.trim()), 'save'));
  str('greedy-proposal', 'proposal');
  str('llm-provider', 'llmProvider');
  str('llm-base', 'llmBase');
  str('llm-model', 'llmModel');
  // Each provider keeps its own base URL and model: a Claude model name means nothing to a local server.
  $('llm-provider').addEventListener('change', () => {
    const s = store.state.settings;
    const p = s.llmProvider;
    const was = shownProvider;
    if (p === was) return;
    store.update(
      () => {
        s.llmPerProvider = { ...s.llmPerProvider, [was]: { base: s.llmBase, model: s.llmModel } };
        const next = s.llmPerProvider[p] ?? LLM_DEFAULTS[p];
        s.llmBase = next.base;
        s.llmModel = next.model;
      },
      'settings',
      'save',
    );
  });
  $('llm-key').addEventListener('input', () => {
    store.update((s) => void (s.llmKey = $('llm-key').value));
    if (store.state.settings.llmRemember) store.update(() => undefined, 'save');
  });
  $('llm-remember').addEventListener('change', () =>
    store.update((s) => void (s.settings.llmRemember = $('llm-remember').checked), 'save'),
  );
  $('res-select').addEventListener('change', () =>
    changeResolution(page, Number($<HTMLSelectElement>('res-select').value)),
  );
  // The colour controls write into whatever settings object the page has now (a restore replaces it).
  const live: ColorSettings = {
    get colorMode() {
      return store.state.settings.colorMode;
    },
    set colorMode(v) {
      store.state.settings.colorMode = v;
    },
    get artColor() {
      return store.state.settings.artColor;
    },
    set artColor(v) {
      store.state.settings.artColor = v;
    },
    get matte() {
      return store.state.settings.matte;
    },
    set matte(v) {
      store.state.settings.matte = v;
    },
  };
  bindColorControls(
    live,
    () => store.state.source?.label ?? '',
    (what) => colorChanged(page, what),
  );
  store.subscribe((aspects, state) => {
    if (aspects.has('settings')) syncInputs(state);
  });
}
