// The loss chart's series in the store: a run's flat history read with the protocol's stride,
// live points thinned when the series grows long, and the PNG size a user asks for.
import { describe, expect, test } from 'vitest';
import { BREAKDOWN_KEYS, FLOATS_PER_BREAKDOWN } from '../../workers/protocol';
import { pngSize, PNG_MAX, PNG_MIN } from '../../web/src/file-actions';
import { pushLoss, replaceWithHistory } from '../../web/src/loss-history';
import { createPageStore } from '../../web/src/page-state';
import type { Aspect } from '../../web/src/store';

describe('loss history', () => {
  test("a run's history replaces its live points, one per step, mse and total from their slots", () => {
    const store = createPageStore();
    pushLoss(store, { total: 9, mse: 8 }); // before the run
    const from = { points: 1, stepBase: 1 };
    pushLoss(store, { total: 7, mse: 6 }); // the run's live, throttled progress
    const steps = 3;
    const history = new Float32Array(steps * FLOATS_PER_BREAKDOWN);
    for (let step = 0; step < steps; step++) {
      BREAKDOWN_KEYS.forEach(
        (key, k) =>
          (history[step * FLOATS_PER_BREAKDOWN + k] =
            key === 'mse' ? 0.1 * (step + 1) : key === 'total' ? step + 1 : -1),
      );
    }
    replaceWithHistory(store, from, history);
    const s = store.state;
    expect(s.chartX).toEqual([1, 2, 3, 4]);
    expect(s.chartTotal).toEqual([9, 1, 2, 3]);
    expect(s.chartMse.map((m) => Number(m.toFixed(3)))).toEqual([8, 0.1, 0.2, 0.3]);
    expect(s.stepBase).toBe(4);
  });

  test('past 20000 points the oldest half is thinned, and the chart is redrawn whole once', () => {
    const store = createPageStore();
    const heard: Aspect[] = [];
    store.subscribe((aspects) => heard.push(...aspects));
    for (let i = 0; i < 20001; i++) pushLoss(store, { total: i, mse: i });
    const s = store.state;
    expect(s.chartX.length).toBe(5000 + 10001);
    expect(s.chartX[0]).toBe(1);
    expect(s.chartX[1]).toBe(3);
    expect(s.chartX.at(-1)).toBe(20001);
    expect(heard.filter((a) => a === 'chart')).toHaveLength(1);
    expect(heard.filter((a) => a === 'chart-point')).toHaveLength(20000);
  });
});

describe('PNG size', () => {
  test('within the limits as asked, outside them clamped and said so, nothing usable is 1024', () => {
    expect(pngSize('800')).toEqual({ size: 800, clamped: false });
    expect(pngSize('99999')).toEqual({ size: PNG_MAX, clamped: true });
    expect(pngSize('3')).toEqual({ size: PNG_MIN, clamped: true });
    expect(pngSize('')).toEqual({ size: 1024, clamped: false });
    expect(pngSize('abc')).toEqual({ size: 1024, clamped: false });
  });
});
