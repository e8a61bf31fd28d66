/**
 * DESIGN.md's import directions, checked on the source: which module (top folder of src/) may
 * import which, nothing imports upward (the floors), only cli/ writes to the console, no import
 * circle between files, and no tfjs in the controller, in the command line's start-up path or in
 * what `import 'widthwise'` loads.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const SRC = new URL('../../src/', import.meta.url).pathname;
/** Re-exports old names for search/'s last three imports (then it goes); its own edges are not the design's. */

/** What each module may import besides itself (DESIGN.md's map). `cli` and the API entry may import anything. */
const ALLOWED: Record<string, string[]> = {
  core: [],
  space: ['core'],
  cost: ['core', 'space'],
  trial: ['core', 'space'],
  variance: ['core', 'trial'],
  storage: ['core'],
  search: ['core', 'space', 'cost', 'variance', 'storage', 'trial'],
  data: ['core'],
  engine: ['core'],
  train: ['core', 'space', 'cost', 'engine', 'data', 'variance', 'trial'],
  export: ['core', 'space', 'cost', 'storage', 'train'],
  // cost: the table evaluator checks a table's params and MACs against the space's exact cost.
  runtime: ['core', 'space', 'cost', 'trial', 'data', 'engine', 'train', 'export'],
  report: ['core', 'trial', 'variance'],
  // train: `widthwise train`'s run (pipeline/train-run) trains in its own process.
  pipeline: ['core', 'space', 'cost', 'trial', 'variance', 'search', 'storage', 'data', 'engine', 'train', 'runtime', 'export', 'report'],
  // Reads run folders (storage: journal and lock), draws with report, summarises with pipeline's summary.
  dashboard: ['core', 'storage', 'report', 'pipeline'],
};
/**
 * The floors of DESIGN.md's map, lowest first: a module imports only from floors below its own
 * (or from itself). `cli` and the library entry are the top; nothing imports them.
 */
const FLOORS: string[][] = [
  ['core'],
  ['space', 'storage', 'data', 'engine'],
  ['cost', 'trial'],
  ['variance'],
  ['search', 'train'],
  ['export'],
  ['runtime', 'report'],
  ['pipeline'],
  ['dashboard'],
  ['cli'],
  ['index.ts'],
];
const floorOf = (module: string): number => FLOORS.findIndex((f) => f.includes(module));
/** Modules that must never load tfjs, directly or through what they import. */
const TFJS_FREE_MODULES = ['core', 'space', 'cost', 'trial', 'variance', 'storage', 'search', 'dashboard'];
const TEST_UNIT = new URL('../unit/', import.meta.url).pathname;
/** Files whose static imports must not load tfjs: the CLI's start-up, the commands that do not train, the pipeline's controller side, the library entry. */
const TFJS_FREE_ENTRIES = ['cli/main.ts', 'cli/inspect.ts', 'cli/search.ts', 'cli/export.ts', 'cli/dashboard.ts', 'cli/baseline.ts', 'cli/train.ts', 'cli/probe.ts', 'cli/options/training.ts', 'cli/options/declare.ts', 'pipeline/search-run.ts', 'pipeline/baseline-run.ts', 'pipeline/train-run.ts', 'runtime/table-evaluator.ts', 'index.ts'];

interface Edge {
  to: string;
  /** `import()`: loaded when the code runs, not when the file is imported. */
  dynamic: boolean;
  /** `import type` / `export type`: erased by the compiler, loads nothing. */
  typeOnly: boolean;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(ts|mjs)$/.test(name) ? [relative(SRC, path)] : [];
  });
}

/** Import specifiers of a file: static imports and re-exports, and dynamic `import()`. */
function imports(file: string): Edge[] {
  const text = readFileSync(join(SRC, file), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const stat = [...text.matchAll(/^\s*(?:import|export)\b([^'";]*?)from\s*['"]([^'"]+)['"]/gm)].map((m) => ({ to: m[2], dynamic: false, typeOnly: /^\s*type\b/.test(m[1]) }));
  const bare = [...text.matchAll(/^\s*import\s*['"]([^'"]+)['"]/gm)].map((m) => ({ to: m[1], dynamic: false, typeOnly: false }));
  const dyn = [...text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => ({ to: m[1], dynamic: true, typeOnly: false }));
  return [...stat, ...bare, ...dyn].map((e) => (e.to.startsWith('.') ? { ...e, to: resolveLocal(file, e.to) } : e));
}

/** `./x.js` from `a/b.ts` to `a/x.ts` (or the `.mjs` / `.ts` file that exists). */
function resolveLocal(from: string, spec: string): string {
  const path = relative(SRC, resolve(dirname(join(SRC, from)), spec));
  for (const candidate of [path.replace(/\.js$/, '.ts'), path]) if (existsSync(join(SRC, candidate))) return candidate;
  return path;
}

const files = sourceFiles(SRC);
const graph = new Map(files.map((f) => [f, imports(f)]));
const moduleOf = (file: string) => (file.includes('/') ? file.split('/')[0] : file);
const isTfjs = (spec: string) => spec.startsWith('@tensorflow/');

/** The package specifiers reached from `file` through static imports. */
const staticPackages = (file: string, seen = new Set<string>()): Set<string> => {
  const out = new Set<string>();
  if (seen.has(file)) return out;
  seen.add(file);
  for (const e of graph.get(file) ?? []) {
    if (e.dynamic || e.typeOnly) continue;
    if (graph.has(e.to)) for (const p of staticPackages(e.to, seen)) out.add(p);
    else if (!e.to.startsWith('.') && !e.to.includes('/src/')) out.add(e.to);
  }
  return out;
};

test('every module imports only what the map allows', () => {
  const wrong: string[] = [];
  for (const [file, edges] of graph) {
    const from = moduleOf(file);
    const allowed = ALLOWED[from];
    if (!allowed) continue; // cli/ and index.ts may import anything
    for (const e of edges) {
      if (!files.includes(e.to)) continue;
      const to = moduleOf(e.to);
      if (to !== from && !allowed.includes(to)) wrong.push(`${file} -> ${e.to}`);
    }
  }
  assert.deepEqual(wrong, []);
});

test('the map is layered: a module may import only from floors below its own', () => {
  const upward = Object.entries(ALLOWED).flatMap(([from, tos]) => tos.filter((to) => floorOf(to) >= floorOf(from)).map((to) => `${from} -> ${to}`));
  assert.deepEqual(upward, []);
  const modules = [...new Set(files.map(moduleOf))];
  assert.deepEqual(modules.filter((m) => floorOf(m) < 0), [], 'every module has a floor');
});

test('nothing imports upward: every import goes to a lower floor or stays in its module', () => {
  const upward: string[] = [];
  for (const [file, edges] of graph) {
    const from = moduleOf(file);
    for (const e of edges) {
      if (!files.includes(e.to)) continue;
      const to = moduleOf(e.to);
      if (to !== from && floorOf(to) >= floorOf(from)) upward.push(`${file} -> ${e.to}`);
    }
  }
  assert.deepEqual(upward, []);
});

/** Console output outside a comment: `console.*`, or `process.stdout` / `process.stderr`. */
const CONSOLE = /\bconsole\.|\bprocess\.(stdout|stderr)\b/;

test('only cli/ writes to the console: the other modules tell their caller, who prints', () => {
  const writers = files.filter((file) => moduleOf(file) !== 'cli').filter((file) => {
    const code = readFileSync(join(SRC, file), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
    return CONSOLE.test(code);
  });
  assert.deepEqual(writers, []);
});

test('no import circle between files', () => {
  const state = new Map<string, 'open' | 'done'>();
  const circles: string[] = [];
  const visit = (file: string, path: string[]) => {
    if (state.get(file) === 'done') return;
    if (state.get(file) === 'open') {
      circles.push([...path.slice(path.indexOf(file)), file].join(' -> '));
      return;
    }
    state.set(file, 'open');
    for (const e of graph.get(file) ?? []) if (graph.has(e.to)) visit(e.to, [...path, file]);
    state.set(file, 'done');
  };
  for (const file of files) visit(file, []);
  assert.deepEqual(circles, []);
});

test('the controller, the CLI start-up and the library entry load no tfjs', () => {
  const offenders: string[] = [];
  for (const file of files) {
    const direct = (graph.get(file) ?? []).some((e) => isTfjs(e.to));
    if ((TFJS_FREE_MODULES.includes(moduleOf(file)) || moduleOf(file) === 'cli') && direct) offenders.push(`${file} imports tfjs`);
    if (TFJS_FREE_MODULES.includes(moduleOf(file)) && [...staticPackages(file)].some(isTfjs)) offenders.push(`${file} loads tfjs through its imports`);
  }
  for (const entry of TFJS_FREE_ENTRIES) {
    assert.ok(graph.has(entry), `${entry} exists`);
    if ([...staticPackages(entry)].some(isTfjs)) offenders.push(`${entry} loads tfjs through its static imports`);
  }
  assert.deepEqual(offenders, []);
});

test('unit tests load no tfjs (they are the fast part of the suite)', () => {
  const offenders: string[] = [];
  for (const name of readdirSync(TEST_UNIT).filter((n) => n.endsWith('.test.ts'))) {
    const text = readFileSync(join(TEST_UNIT, name), 'utf8');
    for (const m of text.matchAll(/^\s*import\b([^'";]*?)from\s*['"]([^'"]+)['"]/gm)) {
      if (/^\s*type\b/.test(m[1])) continue;
      const spec = m[2];
      if (isTfjs(spec)) offenders.push(`${name} imports ${spec}`);
      const target = resolve(TEST_UNIT, spec);
      if (!target.startsWith(SRC)) continue;
      const file = resolveLocal('index.ts', relative(SRC, target).replace(/^/, './'));
      if ([...staticPackages(file)].some(isTfjs)) offenders.push(`${name} loads tfjs through ${file}`);
    }
  }
  assert.deepEqual(offenders, []);
});
