// What every action works on: the store, the page's engine, the door to Python, and the one
// measurement the actions take from the layout (how large the render is shown). main.ts makes
// one; the unit tests make their own with a real engine and no DOM.
import type { PageEngine } from './page-engine';
import type { PageStore } from './page-state';
import type { PythonDoor } from './python-calls';
import type { Scene } from './scene';

export interface Page {
  store: PageStore;
  engine: PageEngine;
  python: PythonDoor;
  /** The size the render canvas is drawn at for `scene`, so edges stay crisp when scaled up. */
  displaySize(scene: Scene): [number, number];
}
