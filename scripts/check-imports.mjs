// `node scripts/check-imports.mjs [dir …]`: fails when the TypeScript modules under a folder
// import each other in a loop, and names the loop. Imports are found and resolved by TypeScript
// itself (preProcessFile, resolveModuleName with the folder's tsconfig options), type-only
// imports included: a loop of types is still a loop of ideas. Default folder: web/src.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function tsFiles(dir) {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((d) => d.isFile() && /\.(m?ts)$/.test(d.name) && !d.name.endsWith('.d.ts'))
    .map((d) => join(d.parentPath ?? d.path, d.name));
}

/** { file: [files it imports] } for the .ts files under `dir`, edges to files outside it dropped. */
export function importGraph(dir) {
  const files = tsFiles(resolve(dir));
  const inside = new Set(files);
  const options = {
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    allowImportingTsExtensions: true,
  };
  const graph = {};
  for (const file of files) {
    const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    const targets = new Set();
    for (const { fileName } of info.importedFiles) {
      const found = ts.resolveModuleName(fileName, file, options, ts.sys).resolvedModule;
      if (found && inside.has(resolve(found.resolvedFileName))) targets.add(resolve(found.resolvedFileName));
    }
    graph[file] = [...targets].sort();
  }
  return graph;
}

/** One import loop as [a, b, …, a], or null when there is none. */
export function findCycle(graph) {
  const state = new Map(); // 1: on the current path, 2: done
  const path = [];
  const visit = (node) => {
    state.set(node, 1);
    path.push(node);
    for (const next of graph[node] ?? []) {
      if (state.get(next) === 1) return [...path.slice(path.indexOf(next)), next];
      if (!state.has(next)) {
        const found = visit(next);
        if (found) return found;
      }
    }
    path.pop();
    state.set(node, 2);
    return null;
  };
  for (const node of Object.keys(graph).sort()) {
    if (state.has(node)) continue;
    const found = visit(node);
    if (found) return found;
  }
  return null;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const dirs = process.argv.length > 2 ? process.argv.slice(2) : ['web/src'];
  let failed = false;
  for (const dir of dirs) {
    const cycle = findCycle(importGraph(resolve(dir)));
    if (cycle) {
      failed = true;
      console.error(`import loop in ${dir}: ${cycle.map((f) => relative(root, f)).join(' → ')}`);
    } else console.log(`${dir}: no import loop`);
  }
  process.exit(failed ? 1 : 0);
}
