// Runs every test suite, each through its own npm script, and sums their machine-readable reports
// into one closing line. A suite that fails to run, or runs no test, fails the whole run.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setup } from './setup.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const resultsDir = join(root, 'build', 'test-results');

function countJunit(path) {
  const xml = readFileSync(path, 'utf8');
  const suite = xml.match(/<testsuite\b[^>]*>/);
  if (!suite) throw new Error(`${path}: no <testsuite> element`);
  const attribute = (name) => Number((suite[0].match(new RegExp(`\\b${name}="(\\d+)"`)) || [0, 0])[1]);
  const total = attribute('tests');
  const failed = attribute('failures') + attribute('errors');
  const skipped = attribute('skipped') + attribute('disabled');
  return { passed: total - failed - skipped, failed, skipped };
}

function countVitest(path) {
  const report = JSON.parse(readFileSync(path, 'utf8'));
  return {
    passed: report.numPassedTests,
    failed: report.numFailedTests + (report.numRuntimeErrorTestSuites || 0),
    skipped: report.numPendingTests + (report.numTodoTests || 0),
  };
}

function countPlain(path) {
  const { passed, failed, skipped = 0 } = JSON.parse(readFileSync(path, 'utf8'));
  return { passed, failed, skipped };
}

function countPlaywright(path) {
  const { stats } = JSON.parse(readFileSync(path, 'utf8'));
  return { passed: stats.expected + stats.flaky, failed: stats.unexpected, skipped: stats.skipped };
}

const SUITES = [
  {
    name: 'format (clang-format, Prettier, Black: one test per file)',
    script: 'test:format',
    report: 'format.json',
    count: countPlain,
  },
  { name: 'cpp (GoogleTest via CTest)', script: 'test:cpp', report: 'cpp.xml', count: countJunit },
  {
    name: 'workers (vitest, real Wasm in worker threads)',
    script: 'test:workers',
    report: 'workers.json',
    count: countVitest,
  },
  {
    name: 'web types (tsc --noEmit -p web/tsconfig.json, strict)',
    script: 'test:types',
    report: 'web-types.json',
    count: countPlain,
  },
  {
    name: 'web (vitest: page store and actions on the real engine, import graph)',
    script: 'test:web',
    report: 'web.json',
    count: countVitest,
  },
  { name: 'python (unittest inside Pyodide under Node)', script: 'test:py', report: 'py.json', count: countPlain },
  { name: 'e2e (Playwright in Debian Chromium)', script: 'test:e2e', report: 'e2e.json', count: countPlaywright },
];

function main() {
  setup();
  mkdirSync(resultsDir, { recursive: true });
  const totals = { passed: 0, failed: 0, skipped: 0 };
  const problems = [];
  for (const suite of SUITES) {
    const report = join(resultsDir, suite.report);
    rmSync(report, { force: true });
    process.stdout.write(`\n===== ${suite.name}: npm run ${suite.script}\n`);
    const started = Date.now();
    const run = spawnSync('npm', ['run', '--silent', suite.script], { cwd: root, stdio: 'inherit' });
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    let counts;
    try {
      if (!existsSync(report)) throw new Error(`wrote no report at ${report}`);
      counts = suite.count(report);
    } catch (error) {
      problems.push(`${suite.name}: ${error.message} (exit code ${run.status})`);
      totals.failed += 1;
      continue;
    }
    process.stdout.write(
      `===== ${suite.name}: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped in ${seconds} s\n`,
    );
    totals.passed += counts.passed;
    totals.failed += counts.failed;
    totals.skipped += counts.skipped;
    if (counts.passed + counts.failed === 0) problems.push(`${suite.name}: ran no test`);
    if (run.status !== 0 && counts.failed === 0) {
      problems.push(`${suite.name}: exited with code ${run.status} although its report shows no failure`);
      totals.failed += 1;
    }
  }
  for (const problem of problems) process.stdout.write(`PROBLEM: ${problem}\n`);
  process.stdout.write(`\n${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped\n`);
  process.exit(totals.failed > 0 || problems.length > 0 ? 1 : 0);
}

main();
