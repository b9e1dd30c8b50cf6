// A small store: one state object, changed only through update(), which names the aspects it
// changed so each subscribed view redraws its own part and nothing else. Notification is
// synchronous: when update() returns, the DOM already shows the change (the page's tests and
// its users read it at once).

/** What a change touched; views and persistence subscribe by aspect. */
export type Aspect =
  | 'status'
  | 'error'
  | 'notice'
  | 'target'
  /** The target was rebuilt from its picture: the colour controls show its choices. */
  | 'color'
  | 'scene'
  | 'selection'
  | 'timeline'
  | 'log'
  | 'stats'
  | 'progress'
  | 'image'
  | 'chart'
  | 'chart-point'
  | 'buttons'
  | 'settings'
  | 'theme'
  /** Save soon (debounced): the session changed. */
  | 'save'
  /** Save now: an accepted round during a run, which a reload must keep. */
  | 'checkpoint';

export type Listener<S> = (aspects: ReadonlySet<Aspect>, state: S) => void;

export interface Store<S> {
  /** Read freely; write only inside update(). */
  readonly state: S;
  update(change: (state: S) => void, ...aspects: Aspect[]): void;
  /** Returns the unsubscribe function. */
  subscribe(listener: Listener<S>): () => void;
}

export function createStore<S extends object>(initial: S): Store<S> {
  const state = initial;
  const listeners = new Set<Listener<S>>();
  return {
    state,
    update(change, ...aspects) {
      change(state);
      if (aspects.length === 0) return;
      const touched = new Set(aspects);
      // A copy: a listener may subscribe or unsubscribe while being told.
      for (const listener of [...listeners]) listener(touched, state);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
  };
}
