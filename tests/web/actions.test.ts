// The page's actions over its store and the real engine (build/workers/client.js: the real Wasm
// in a real worker thread), with no DOM: what a run, an edit and a render leave in the store.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { createEngine, type EngineClient } from '../../build/workers/client.js';
import { setShapeModel } from '../../web/src/model';
import type { Page } from '../../web/src/page';
import { PageEngine } from '../../web/src/page-engine';
import { createPageStore } from '../../web/src/page-state';
import { PythonDoor } from '../../web/src/python-calls';
import { resume, runGreedy, runOptimize, stop } from '../../web/src/runs';
import { initialScene, type Scene } from '../../web/src/scene';
import { editScene, gotoStage, moveSelected, refreshRender, select, setScene } from '../../web/src/scene-actions';
import type { Aspect } from '../../web/src/store';
import { readPgm } from '../workers/fixtures.js';

const target = readPgm('pelican-engraving-64.pgm');
let client: EngineClient;
let page: Page;
let heard: Set<Aspect>;

beforeAll(async () => {
  client = createEngine();
  setShapeModel(await client.shapeModel());
});
afterAll(() => client.terminate());

beforeEach(() => {
  const store = createPageStore();
  // The engine the page would create for itself, handed in: the actions never make their own.
  page = {
    store,
    engine: new PageEngine(async () => client as never),
    python: new PythonDoor(store),
    displaySize: (s) => [s.width, s.height],
  };
  const scene = initialScene(target.width, target.height);
  store.update((s) => {
    s.target = { ...target, channels: 1, label: 'engraving' };
    s.engineReady = true;
    s.scene = scene;
    s.stages = [{ label: 'initial pelican', scene: structuredClone(scene), loss: null, at: 0 }];
    s.current = 0;
  });
  heard = new Set();
  store.subscribe((aspects) => aspects.forEach((a) => heard.add(a)));
});

/** Resolves once `done` holds after some update. */
function until(done: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    if (done()) return resolve();
    const off = page.store.subscribe(() => {
      if (done()) {
        off();
        resolve();
      }
    });
  });
}

const without = (scene: Scene, i: number): Scene => ({ ...scene, shapes: scene.shapes.filter((_, j) => j !== i) });

describe('runs', () => {
  test('optimise: one chart point per step from the run history, a stage saved at once, the outcome on the status line', async () => {
    const s = page.store.state;
    const before = structuredClone(s.scene!);
    const out = await runOptimize(page, 40);
    expect(out).toMatchObject({ cancelled: false, stepsCompleted: 40 });
    expect(s.chartX).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(s.chartMse.every((m, i) => m > 0 && m <= s.chartTotal[i])).toBe(true);
    expect(s.chartTotal[39]).toBeLessThan(s.chartTotal[0]);
    expect(s.scene).not.toEqual(before);
    expect(s.stages.at(-1)).toMatchObject({ label: 'optimise (40 steps)', loss: s.breakdown!.total });
    expect(s.running).toBeNull();
    expect(s.resume).toBeNull();
    expect(s.status).toEqual({ text: 'optimize done · 9 shapes', ready: true });
    expect(s.log.at(-1)!.text).toMatch(/^optimise: 40\/40 steps, loss /);
    // The stage reached during the run is a checkpoint (saved at once), the chart redrawn whole.
    expect([...heard]).toEqual(expect.arrayContaining(['checkpoint', 'chart', 'progress', 'buttons', 'timeline']));
  });

  test('Stop keeps the best so far and Resume runs the steps that are left', async () => {
    // Far more than run before the first progress report arrives, whatever the machine.
    const STEPS = 10000;
    const s = page.store.state;
    const run = runOptimize(page, STEPS);
    await until(() => s.chartX.length > 0);
    stop(page);
    const out = await run;
    expect(out.cancelled).toBe(true);
    expect(s.resume).toEqual({ kind: 'optimize', remaining: STEPS - out.stepsCompleted });
    expect(s.stages.at(-1)!.label).toBe(`optimise (stopped at ${out.stepsCompleted}/${STEPS})`);
    expect(s.status.text).toMatch(/^optimize stopped — the best result is kept/);
    expect(s.chartX.length).toBe(out.stepsCompleted);

    resume(page);
    expect(s.running).toBe('optimize');
    await until(() => s.running === null);
    expect(s.chartX.length).toBe(STEPS);
    expect(s.stages.at(-1)!.label).toBe(`optimise (${STEPS - out.stepsCompleted} steps)`);
    expect(s.resume).toBeNull();
  });

  test('after a worker crash the page carries on: the client restored the state, the page did not retry', async () => {
    await runOptimize(page, 10);
    const loss = page.store.state.breakdown!.total;
    const generation = client.generation;
    await expect(client.debugAbort()).rejects.toMatchObject({ name: 'EngineCrashed' });
    expect(client.generation).toBe(generation + 1);
    await refreshRender(page);
    expect(page.store.state.breakdown!.total).toBeCloseTo(loss, 6);
    await runOptimize(page, 10);
    expect(page.store.state.error).toBeNull();
    expect(page.store.state.chartX.length).toBe(20);
  });

  test('a Python run before Python has loaded fails with its reason on the status line and in the log', async () => {
    await runGreedy(page);
    const s = page.store.state;
    expect(s.error).toBe('greedy refine failed: Python is still loading.');
    expect(s.log.at(-1)).toEqual({ kind: 'error', text: 'greedy refine failed: Python is still loading.' });
    expect(s.status).toEqual({ text: 'greedy failed — see the message below · 9 shapes', ready: false });
  });

  test('an empty scene is refused with the reason', async () => {
    page.store.update((s) => void (s.scene = { ...s.scene!, shapes: [] }));
    const out = await runOptimize(page, 10);
    expect(out.stepsCompleted).toBe(0);
    expect(page.store.state.error).toMatch(/^Optimise: the scene has no shapes/);
    expect(page.store.state.running).toBeNull();
  });
});

describe('the engine from the page', () => {
  test('sequences issued together each see their own scene (the client queue keeps them whole)', async () => {
    const s = page.store.state;
    const a = s.scene!;
    const b = without(a, 0);
    const alone = [
      (await page.engine.evaluate(s, a)).breakdown.total,
      (await page.engine.evaluate(s, b)).breakdown.total,
    ];
    expect(alone[0]).not.toBeCloseTo(alone[1], 4);
    const mixed = await Promise.all([a, b, a, b, a, b].map((scene) => page.engine.evaluate(s, scene)));
    expect(mixed.map((r) => r.breakdown.total)).toEqual([...alone, ...alone, ...alone]);
  });

  test('the latest scene put on the page is the one rendered and scored', async () => {
    const s = page.store.state;
    const last = without(s.scene!, 2);
    setScene(page, without(s.scene!, 1));
    setScene(page, last, { label: 'two edits' });
    await refreshRender(page);
    const expected = (await page.engine.evaluate(s, last)).breakdown.total;
    expect(s.breakdown!.total).toBe(expected);
    expect(s.image).toMatchObject({ width: 64, height: 64 });
    expect(s.image!.pixels.length).toBe(64 * 64);
  });
});

describe('edits', () => {
  test('edits become stages, stepping back restores one, and a scene keeps at least one shape', () => {
    const s = page.store.state;
    select(page, 2);
    const name = s.scene!.shapes[2].name;
    moveSelected(page, 1);
    expect(s.scene!.shapes[3].name).toBe(name);
    expect(s.selected).toBe(3);
    expect(s.stages.at(-1)!.label).toBe(`move ${name} forward`);
    gotoStage(page, 0);
    expect(s.current).toBe(0);
    expect(s.scene!.shapes[2].name).toBe(name);
    expect(editScene(page, (sc) => void sc.shapes.splice(0), 'delete all')).toBe(false);
    expect(s.error).toBe('A scene needs at least one shape.');
    expect(s.stages.length).toBe(2);
  });
});
