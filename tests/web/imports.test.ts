// The page's modules: no import loop (the check itself is shown to find one), and small files.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
// @ts-expect-error: a plain .mjs script, no declarations
import { findCycle, importGraph } from '../../scripts/check-imports.mjs';

const SRC = join(__dirname, '..', '..', 'web', 'src');
/** The bound: a file in web/src stays one idea (~400 lines). */
const MAX_LINES = 400;

describe('web/src imports', () => {
  test('no module imports itself through others', () => {
    const graph = importGraph(SRC) as Record<string, string[]>;
    expect(Object.keys(graph).length).toBeGreaterThan(20);
    expect(graph[join(SRC, 'main.ts')]).toContain(join(SRC, 'page-state.ts'));
    expect(findCycle(graph)).toBeNull();
  });

  test('the check finds a loop, type-only imports included', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pelican-imports-'));
    try {
      writeFileSync(join(dir, 'a.ts'), "import { b } from './b';\nexport const a = b;\n");
      writeFileSync(join(dir, 'b.ts'), "import type { C } from './c';\nexport const b = 1 as unknown as C;\n");
      writeFileSync(join(dir, 'c.ts'), "import { a } from './a';\nexport type C = typeof a;\n");
      const cycle = findCycle(importGraph(dir)) as string[] | null;
      expect(cycle?.map((f) => f.slice(dir.length + 1))).toEqual(['a.ts', 'b.ts', 'c.ts', 'a.ts']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test(`no TypeScript file in web/src is over ${MAX_LINES} lines`, () => {
    const long = readdirSync(SRC)
      .filter((f) => f.endsWith('.ts'))
      .map((f) => ({ f, lines: readFileSync(join(SRC, f), 'utf8').split('\n').length }))
      .filter(({ lines }) => lines > MAX_LINES);
    expect(long).toEqual([]);
  });
});
