// window.pelican is workers/client.ts exactly as the app imports it; window.runSuite the benchmark.
import * as client from '/workers/client.ts';
import { runSuite } from '/workers/bench/suite.js';

window.pelican = client;
window.runSuite = (inputs, options) => runSuite(client, inputs, options);
/** An engine loaded with a golden case ({side, target, types, values}); the caller terminates it. */
window.goldenEngine = async (g) => {
  const engine = client.createEngine();
  await engine.init(g.side, g.side);
  await engine.setTarget(Float32Array.from(g.target));
  await engine.setScene(Int32Array.from(g.types), Float64Array.from(g.values), Float64Array.of(1));
  return engine;
};
window.pelicanReady = true;
