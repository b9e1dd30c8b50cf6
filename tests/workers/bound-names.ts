// Every name the Embind table registers, as the hand-written declaration sees it. The type test
// makes these lists equal to the keys of workers/pelican-wasm.d.ts; bindings.test.ts makes them
// equal to the names in cpp/bindings/embind.cpp and calls each one.
import type { PelicanWasmModule, WasmEngine } from '../../workers/pelican-wasm.js';

type Exact<Keys extends string> = { [K in Keys]: true };

export const ENGINE_METHODS = {
  floatInput: true,
  doubleInput: true,
  intInput: true,
  byteInput: true,
  init: true,
  setTarget: true,
  setScene: true,
  setFrozen: true,
  setWeights: true,
  setWindow: true,
  clearWindow: true,
  evaluate: true,
  gradients: true,
  render: true,
  pixels: true,
  values: true,
  background: true,
  shapeCount: true,
  valueCount: true,
  channels: true,
  width: true,
  height: true,
  propose: true,
  proposedTypes: true,
  proposedValues: true,
  optimizeBegin: true,
  optimizeSteps: true,
  history: true,
  optimizeEnd: true,
  bestLoss: true,
  stepsCompleted: true,
} as const satisfies Exact<Exclude<keyof WasmEngine, 'delete'>>;

export const MODULE_FUNCTIONS = {
  shapeModel: true,
  buildFlavour: true,
  debugAbort: true,
  setThreads: true,
  threads: true,
  maxThreads: true,
} as const satisfies Exact<Exclude<keyof PelicanWasmModule, 'Engine' | 'HEAPU8'>>;

export const VALUE_OBJECTS = [
  'Status',
  'Breakdown',
  'LossWeights',
  'OptimizeOptions',
  'ProposeOptions',
  'Model',
  'Evaluation',
  'StepsResult',
] as const;
