// Type test of the boundary: the hand-written module declaration, the worker's own type and the
// protocol must agree, or `tsc` (run by vitest's typecheck mode) fails this file.
import type { Remote } from 'comlink';
import { describe, expectTypeOf, test } from 'vitest';
import type { EngineApi } from '../../workers/engine.worker.js';
import type { EngineClient } from '../../workers/client.js';
import type { PelicanModuleFactory, PelicanWasmModule, WasmEngine } from '../../workers/pelican-wasm.js';
import type { Breakdown, EvaluateResult, OptimizeResult } from '../../workers/protocol.js';
import { ENGINE_METHODS, MODULE_FUNCTIONS } from './bound-names.js';

describe('module declaration', () => {
  test('the bound-name lists cover exactly the declared members', () => {
    expectTypeOf<keyof typeof ENGINE_METHODS>().toEqualTypeOf<Exclude<keyof WasmEngine, 'delete'>>();
    expectTypeOf<keyof typeof MODULE_FUNCTIONS>().toEqualTypeOf<
      Exclude<keyof PelicanWasmModule, 'Engine' | 'HEAPU8'>
    >();
  });

  test('the factory resolves to the module and engines are constructible', () => {
    expectTypeOf<ReturnType<PelicanModuleFactory>>().resolves.toEqualTypeOf<PelicanWasmModule>();
    expectTypeOf<InstanceType<PelicanWasmModule['Engine']>>().toEqualTypeOf<WasmEngine>();
  });

  test('the flat breakdown of the bindings is the protocol Breakdown', () => {
    expectTypeOf<ReturnType<WasmEngine['evaluate']>['breakdown']>().toEqualTypeOf<Breakdown>();
  });
});

describe('worker type is its implementation', () => {
  test('a wrapped worker speaks the client protocol', () => {
    expectTypeOf<Remote<EngineApi>['evaluate']>().returns.resolves.toEqualTypeOf<EvaluateResult>();
    expectTypeOf<ReturnType<Remote<EngineApi>['optimize']>>().resolves.toEqualTypeOf<OptimizeResult>();
    expectTypeOf<ReturnType<EngineClient['render']>>().resolves.toEqualTypeOf<Float32Array>();
  });
});
