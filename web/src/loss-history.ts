// The loss chart's series: one point per optimisation step (or accepted round), thinned when long.
import { breakdownAt, FLOATS_PER_BREAKDOWN } from '../../workers/protocol';
import type { Breakdown } from './engine';
import type { PageStore } from './page-state';

/** Above this many points the oldest half is thinned: the plot needs shape, not every point. */
const MAX_POINTS = 20000;

export function pushLoss(store: PageStore, b: Pick<Breakdown, 'total' | 'mse'>): void {
  const thin = store.state.chartX.length + 1 > MAX_POINTS;
  store.update(
    (s) => {
      s.stepBase += 1;
      s.chartX.push(s.stepBase);
      s.chartTotal.push(b.total);
      s.chartMse.push(b.mse);
      if (thin) {
        const keep = (_: number, i: number) => i >= MAX_POINTS / 2 || i % 2 === 0;
        s.chartX = s.chartX.filter(keep);
        s.chartTotal = s.chartTotal.filter(keep);
        s.chartMse = s.chartMse.filter(keep);
      }
    },
    thin ? 'chart' : 'chart-point',
  );
}

/**
 * Replaces the points a run added since `from` (its live, throttled progress) with the run's full
 * per-step history (flat breakdowns, FLOATS_PER_BREAKDOWN floats a step).
 */
export function replaceWithHistory(
  store: PageStore,
  from: { points: number; stepBase: number },
  history: Float32Array,
): void {
  store.update((s) => {
    s.chartX.length = from.points;
    s.chartTotal.length = from.points;
    s.chartMse.length = from.points;
    s.stepBase = from.stepBase;
    const steps = Math.floor(history.length / FLOATS_PER_BREAKDOWN);
    for (let step = 0; step < steps; step++) {
      const b = breakdownAt(history, step);
      s.stepBase += 1;
      s.chartX.push(s.stepBase);
      s.chartMse.push(b.mse);
      s.chartTotal.push(b.total);
    }
  }, 'chart');
}
