/**
 * Validation of a parsed search-space document: its shape against the one schema (`schema.ts`),
 * then what a shape cannot say: a group's base on its grid, layers that name existing groups,
 * unique names, every group used, the output layer. Every failure is a `SpaceError` naming the
 * file, the JSON path, what was found and what was expected. Structural checks (residual adds of
 * unequal groups, shapes that shrink to nothing) run on the base widths afterwards (`load.ts`).
 */
import type { z } from 'zod';
import { SpaceError } from '../core/errors.js';
import { spaceSchema } from './schema.js';
import type { SearchSpace, WidthGroup } from './types.js';

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

const jsonPath = (path: (string | number)[]) => `$${path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('')}`;

function valueAt(doc: unknown, path: (string | number)[]): unknown {
  let v = doc;
  for (const key of path) v = v !== null && typeof v === 'object' ? (v as Record<string | number, unknown>)[key] : undefined;
  return v;
}

/** The message of the first schema issue: the path, what was expected there and what was found. */
function issueMessage(issue: z.ZodIssue, doc: unknown, file: string): string {
  if (issue.code === 'unrecognized_keys') {
    return `${file}: ${jsonPath([...issue.path, issue.keys[0]])}: expected ${issue.message}, found ${JSON.stringify(issue.keys[0])} (unknown key)`;
  }
  return `${file}: ${jsonPath(issue.path)}: expected ${issue.message}, found ${describe(valueAt(doc, issue.path))}`;
}

/** Why `width` is not allowed in `group`, or undefined when it is. */
export function widthProblem(group: WidthGroup, width: number): string | undefined {
  if (!Number.isInteger(width) || width < group.min || width > group.max) {
    return `an integer in [${group.min}, ${group.max}] for group "${group.name}"`;
  }
  if ((width - group.min) % group.step !== 0) {
    return `a width on group "${group.name}"'s grid ${group.min}, ${group.min + group.step}, ${group.min + 2 * group.step}, ... (step ${group.step})`;
  }
  return undefined;
}

/**
 * Checks a parsed JSON document against the space schema and the rules beyond it, and returns it
 * typed. `file` is used in messages only.
 */
export function validateSpace(doc: unknown, file: string): SearchSpace {
  const parsed = spaceSchema.safeParse(doc);
  if (!parsed.success) throw new SpaceError(issueMessage(parsed.error.issues[0], doc, file));
  const { groups, layers } = parsed.data;
  const fail = (path: string, expected: string, found: unknown, detail = ''): never => {
    throw new SpaceError(`${file}: ${path}: expected ${expected}, found ${describe(found)}${detail ? ` (${detail})` : ''}`);
  };

  const groupNames = new Set<string>();
  groups.forEach((g, i) => {
    if (g.max < g.min) fail(`$.groups[${i}].max`, `a value >= min (${g.min})`, g.max);
    const problem = widthProblem(g, g.base);
    if (problem) fail(`$.groups[${i}].base`, problem, g.base);
    if (groupNames.has(g.name)) fail(`$.groups[${i}].name`, 'a group name not used before', g.name, 'duplicate group');
    groupNames.add(g.name);
  });

  const layerNames = new Set<string>();
  layers.forEach((l, i) => {
    for (const key of ['inner', 'expand', 'group'] as const) {
      const ref = (l as Partial<Record<typeof key, string>>)[key];
      if (ref !== undefined && !groupNames.has(ref)) fail(`$.layers[${i}].${key}`, `the name of a group (${[...groupNames].join(', ')})`, ref, 'unknown group');
    }
    if (!('name' in l)) return;
    if (layerNames.has(l.name)) fail(`$.layers[${i}].name`, 'a layer name not used before', l.name, 'duplicate layer name');
    layerNames.add(l.name);
  });
  const used = new Set(layers.flatMap((l) => ('inner' in l ? [l.inner, l.group] : 'expand' in l ? [l.expand, l.group] : 'group' in l && l.group ? [l.group] : [])));
  groups.forEach((g, i) => {
    if (!used.has(g.name)) fail(`$.groups[${i}].name`, 'a group that some layer uses', g.name, 'unused group');
  });
  const last = layers[layers.length - 1];
  if (last.type !== 'dense' || last.group !== undefined) {
    fail(`$.layers[${layers.length - 1}]`, 'the output layer: a dense layer without "group" (it has `classes` units)', last.type);
  }
  layers.slice(0, -1).forEach((l, i) => {
    if (l.type === 'dense' && l.group === undefined) fail(`$.layers[${i}].group`, 'a group (only the last dense layer may omit it)', undefined);
  });
  return { ...parsed.data, file };
}
