// The store: changes are made in update(), and subscribers hear the aspects named, at once.
import { describe, expect, test } from 'vitest';
import { createStore, type Aspect } from '../../web/src/store';

describe('store', () => {
  test('update changes the state and tells every subscriber which aspects, synchronously', () => {
    const store = createStore({ n: 0 });
    const heard: Aspect[][] = [];
    store.subscribe((aspects, s) => heard.push([...aspects, `n=${s.n}` as Aspect]));
    store.update((s) => void (s.n = 2), 'scene', 'save');
    expect(store.state.n).toBe(2);
    expect(heard).toEqual([['scene', 'save', 'n=2']]);
  });

  test('an update that names no aspect tells nobody', () => {
    const store = createStore({ n: 0 });
    let calls = 0;
    store.subscribe(() => calls++);
    store.update((s) => void (s.n = 1));
    expect(store.state.n).toBe(1);
    expect(calls).toBe(0);
  });

  test('an unsubscribed listener hears nothing more; one added while told hears the next update', () => {
    const store = createStore({ n: 0 });
    const a: number[] = [];
    const b: number[] = [];
    const stop = store.subscribe((_, s) => {
      a.push(s.n);
      store.subscribe((__, t) => b.push(t.n));
    });
    store.update((s) => void (s.n = 1), 'log');
    stop();
    store.update((s) => void (s.n = 2), 'log');
    expect(a).toEqual([1]);
    expect(b).toEqual([2]);
  });

  test('a repeated aspect is told once', () => {
    const store = createStore({});
    const heard: number[] = [];
    store.subscribe((aspects) => heard.push(aspects.size));
    store.update(() => undefined, 'scene', 'scene', 'timeline');
    expect(heard).toEqual([2]);
  });
});
