// window.pelican is workers/client.ts exactly as the app imports it; window.runSuite the benchmark.
import * as client from '/workers/client.ts';
import { runSuite } from '/workers/bench/suite.js';

window.pelican = client;
window.runSuite = (inputs, options) => runSuite(client, inputs, options);
window.pelicanReady = true;
