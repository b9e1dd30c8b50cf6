// The page's engine work as whole sequences: put a scene on the target, then evaluate, render or
// optimise it. Each sequence issues all its calls in one synchronous block, so the client's own
// queue (workers/client.ts) runs them back to back with nothing from another sequence in
// between; the client also replaces a crashed worker and restores its state, so the page
// neither queues nor retries on top of it.
import type { Target } from './art';
import type { EngineClient, EvaluateResult, OptimizeOptions, OptimizeProgress, OptimizeResult } from './engine';
import { pageModel, type Model } from './model';
import { frozenMask, hasTranslucent, toValues, type Scene } from './scene';

/** The target a scene is fitted to, and its version (bumped whenever its pixels change). */
export interface OnTarget {
  target: Target | null;
  targetVersion: number;
}

export class PageEngine {
  /** Size, target and model the engine holds; set up again only when one of them changes. */
  #key = '';

  constructor(readonly client: () => Promise<EngineClient>) {}

  /**
   * Puts `scene` on the engine, then `then(engine)`, which must issue its calls before it first
   * awaits. Resolves with what `then` gave and the engine model the scene was laid out in.
   */
  async run<T>(
    on: OnTarget,
    scene: Scene,
    then: (e: EngineClient, model: Model) => Promise<T>,
  ): Promise<{ value: T; model: Model }> {
    const e = await this.client();
    const t = on.target;
    if (!t) throw new Error('there is no target yet');
    const model = pageModel(t.channels, hasTranslucent(scene));
    const calls: Promise<unknown>[] = [];
    const key = `${t.width}x${t.height}:${on.targetVersion}:${JSON.stringify(model)}`;
    if (this.#key !== key) {
      const setup = Promise.all([e.init(t.width, t.height, model), e.setTarget(t.pixels.slice())]);
      this.#key = key;
      // A failed set-up is done again by the next sequence.
      setup.catch(() => {
        if (this.#key === key) this.#key = '';
      });
      calls.push(setup);
    }
    const { types, values, background } = toValues(scene, model);
    calls.push(e.setScene(types, values, background), e.setFrozen(frozenMask(scene)));
    const [value] = await Promise.all([then(e, model), ...calls]);
    return { value, model };
  }

  /** The loss breakdown at the Loss figure's tau (0.5 px of the scene's own size). */
  async evaluate(on: OnTarget, scene: Scene): Promise<EvaluateResult> {
    return (await this.run(on, scene, (e) => e.evaluate(0.5 / Math.max(scene.width, scene.height)))).value;
  }

  /** Pixels at w × h, drawn at 0.5 px of that size. */
  async render(on: OnTarget, scene: Scene, w: number, h: number): Promise<Float32Array> {
    return (await this.run(on, scene, (e) => e.render(0.5 / Math.max(w, h), w, h))).value;
  }

  /** Both, in one sequence: what the render canvas and the Loss figure show. */
  async evaluateAndRender(
    on: OnTarget,
    scene: Scene,
    w: number,
    h: number,
  ): Promise<{ breakdown: EvaluateResult['breakdown']; pixels: Float32Array }> {
    const S = Math.max(scene.width, scene.height);
    const { value } = await this.run(on, scene, (e) =>
      Promise.all([e.evaluate(0.5 / S), e.render(0.5 / Math.max(w, h), w, h)]),
    );
    return { breakdown: value[0].breakdown, pixels: value[1] };
  }

  optimize(
    on: OnTarget,
    scene: Scene,
    options: OptimizeOptions,
    onProgress: (p: OptimizeProgress) => void,
  ): Promise<{ value: OptimizeResult; model: Model }> {
    return this.run(on, scene, (e) => e.optimize(options, onProgress));
  }

  /** Stops the running optimise within one chunk. */
  async cancel(): Promise<void> {
    (await this.client()).cancel();
  }
}
