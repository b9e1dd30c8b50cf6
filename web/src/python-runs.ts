// The runs that are more than one engine call, done in Python on the engine pool (pelican_app.py):
// greedy refinement, vectorize, LLM refinement. Every accepted round lands on the page at once.
import { cspRefusal } from './llm-reach';
import { pushLoss } from './loss-history';
import { logLine, showError } from './messages';
import type { Page } from './page';
import type { RunHooks } from './python-calls';
import { validateScene } from './scene';
import { captureFrame, evaluateScene, setScene } from './scene-actions';
import { endRun, fmt, refuseEmptyScene, reportRunError, showProgress, startRun } from './run-lifecycle';

/** Live progress onto the chart and the Loss figure, or not at all (`chart: false`). */
function progressHook(page: Page, chart: boolean): RunHooks['onProgress'] {
  return (p) => {
    // Greedy's candidates are fitted side by side and mostly thrown away: their traces would
    // bury the accepted rounds' line, and their loss is not the scene's.
    if (!p.breakdown || !chart) return;
    const b = p.breakdown;
    pushLoss(page.store, b);
    page.store.update((s) => void (s.breakdown = b), 'stats');
  };
}

/** Greedy refinement in Python on the engine pool. */
export async function greedyScene(page: Page): Promise<{ cancelled: boolean }> {
  const { store } = page;
  const state = store.state;
  const s = state.settings;
  const args = {
    max_shapes: s.maxShapes,
    proposal: s.proposal,
    candidates: s.candidates,
    max_failures: s.maxFailures,
    scene: state.scene,
    target: { width: state.target!.width, height: state.target!.height },
  };
  showProgress(page, { step: 'round 0' });
  const started = performance.now();
  const startShapes = state.scene!.shapes.length;
  const out = await page.python.runPageAction('greedy', args, {
    onProgress: progressHook(page, false),
    onRound: (r) => {
      showProgress(page, { step: `round ${r.round}` });
      const text = `round ${r.round}: ${r.accepted ? 'accept' : 'reject'} ${r.shape_type ?? ''} ${r.shape_name ?? ''} ${fmt(r.loss_before)} → ${fmt(r.loss_after)}${r.num_shapes ? ` (${r.num_shapes} shapes)` : ''}`;
      logLine(store, r.accepted ? 'accept' : 'reject', text.replace(/\s+/g, ' '));
      if (r.accepted && r.loss_after != null) pushLoss(store, { total: r.loss_after, mse: NaN });
      if (r.accepted && r.scene) {
        setScene(page, validateScene(r.scene), {
          label: `greedy round ${r.round}: +${r.shape_name ?? r.shape_type}`,
          loss: r.loss_after ?? null,
        });
        void captureFrame(page, 300);
        const done = state.scene!.shapes.length - startShapes;
        const todo = s.maxShapes - startShapes;
        if (done > 0 && todo > 0) {
          const eta = ((performance.now() - started) / done) * (todo - done);
          showProgress(page, { eta: `~${(eta / 1000).toFixed(0)} s` });
        }
      }
    },
  });
  let loss: number | null = null;
  if (out.scene) {
    const final = validateScene(out.scene);
    loss = (await evaluateScene(page, final)).total;
    setScene(page, final, { label: out.cancelled ? 'greedy (stopped)' : 'greedy final', loss });
  }
  const n = state.scene!.shapes.length;
  const why = out.cancelled
    ? 'stopped'
    : out.stopped === 'failures'
      ? `ended at the failure limit (${s.maxFailures} rejected rounds in a row)`
      : 'done: the shape budget is reached';
  store.update((st) => void (st.runOutcome = `greedy ${why}`));
  logLine(
    store,
    out.stopped === 'failures' ? 'reject' : 'info',
    `greedy: ${why}, ${n} shapes${loss !== null ? `, loss ${loss.toFixed(5)}` : ''}`,
  );
  return { cancelled: !!out.cancelled };
}

export async function runGreedy(page: Page): Promise<void> {
  if (refuseEmptyScene(page, 'Greedy refine')) return;
  startRun(page, 'greedy');
  try {
    const out = await greedyScene(page);
    page.store.update((s) => void (s.resume = out.cancelled ? { kind: 'greedy' } : null));
  } catch (e) {
    reportRunError(page, 'greedy refine', e);
  } finally {
    endRun(page);
  }
}

/** A user's picture (or the art in colour) goes through pelican.vectorize; the gray art through the original's pipeline. */
export async function usesVectorize(page: Page): Promise<boolean> {
  const { source, target } = page.store.state;
  if (source?.label === 'built-in pelican' && target?.channels === 1) return false;
  return page.python.hasVectorize();
}

export async function runVectorize(page: Page): Promise<void> {
  const { store } = page;
  const s = store.state.settings;
  const started = performance.now();
  showProgress(page, { step: 'round 0' });
  const out = await page.python.runPageAction(
    'vectorize',
    { shapes: s.maxShapes },
    {
      onProgress: progressHook(page, true),
      onRound: (r) => {
        showProgress(page, { step: `round ${r.round}` });
        logLine(
          store,
          'accept',
          `vectorize round ${r.round}: +${r.added ?? 0} → ${r.num_shapes} shapes, loss ${fmt(r.loss)}`,
        );
        if (r.scene)
          setScene(page, validateScene(r.scene), {
            label: `vectorize round ${r.round}: ${r.num_shapes} shapes`,
            loss: r.loss ?? null,
          });
        const done = r.num_shapes ?? 0;
        if (done > 0 && done < s.maxShapes)
          showProgress(page, {
            eta: `~${((((performance.now() - started) / done) * (s.maxShapes - done)) / 1000).toFixed(0)} s`,
          });
      },
    },
  );
  if (out.scene)
    setScene(page, validateScene(out.scene), {
      label: out.cancelled ? 'vectorize (stopped)' : 'vectorize final',
      loss: out.loss ?? null,
    });
  logLine(
    store,
    'info',
    `vectorize: ${out.cancelled ? 'stopped' : 'done'}, ${store.state.scene!.shapes.length} shapes in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
}

export async function runLlm(page: Page): Promise<void> {
  const { store } = page;
  const state = store.state;
  const s = state.settings;
  if (!state.llmKey && s.llmProvider === 'anthropic') {
    showError(store, 'LLM refine needs an API key for the provider.');
    return;
  }
  const blocked = cspRefusal(s.llmBase);
  if (blocked) {
    showError(store, `LLM refine cannot reach the server: ${blocked}`);
    logLine(store, 'error', `LLM refine: ${blocked.split(':')[0]} is blocked by the page's Content-Security-Policy`);
    return;
  }
  startRun(page, 'llm');
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
    showProgress(page, { step: 'round 1' });
    const out = await page.python.runPageAction('llm', args, {
      onProgress: progressHook(page, true),
      apiKey: state.llmKey,
      onRound: (r) => {
        showProgress(page, { step: `round ${r.round + 1}` });
        const kind = r.rolled_back ? 'reject' : r.accepted ? 'accept' : r.error ? 'error' : 'info';
        logLine(
          store,
          kind,
          `LLM round ${r.round}: ${r.rolled_back ? 'rolled back' : r.accepted ? 'applied' : 'no change'} — ${r.message ?? ''} (${fmt(r.loss_before)} → ${fmt(r.loss_after)})`,
        );
        if (r.accepted && r.loss_after != null) pushLoss(store, { total: r.loss_after, mse: NaN });
        if (r.scene && r.accepted)
          setScene(page, validateScene(r.scene), { label: `LLM round ${r.round}`, loss: r.loss_after ?? null });
      },
    });
    // A later round may be accepted within the rollback tolerance yet end a little worse than
    // an earlier one: the run's result is then the best scene, not the last one shown.
    if (out.rewound && out.scene)
      setScene(page, validateScene(out.scene), { label: 'LLM best', loss: out.loss ?? null });
    if (out.error) {
      const msg = `LLM refine failed: ${out.error}`;
      showError(store, msg);
      logLine(store, 'error', msg);
    }
    store.update((st) => void (st.resume = out.cancelled ? { kind: 'llm' } : null));
  } catch (e) {
    reportRunError(page, 'LLM refine', e);
  } finally {
    endRun(page);
  }
}
