/**
 * Validation of a parsed search-space document. Every failure is a `SpaceError` naming the file,
 * the JSON path, what was found and what was expected. Structural checks (residual adds of
 * unequal groups, shapes that shrink to nothing) run on the base widths after the schema checks.
 */
import { SpaceError } from '../core/errors.js';
import type { ImageShape } from '../core/shapes.js';
import type { LayerDecl, SearchSpace, WidthGroup } from './types.js';

type Json = unknown;

const TOP_KEYS = ['name', 'description', 'input', 'classes', 'dataset', 'groups', 'layers'];
const GROUP_KEYS = ['name', 'base', 'min', 'max', 'step'];
const LAYER_TYPES = ['conv', 'dense', 'maxpool', 'gap', 'flatten', 'block'] as const;
const LAYER_KEYS: Record<(typeof LAYER_TYPES)[number], string[]> = {
  conv: ['type', 'name', 'group', 'kernel', 'stride', 'padding', 'bias', 'bn', 'activation'],
  dense: ['type', 'name', 'group', 'bias', 'activation'],
  maxpool: ['type', 'size', 'stride'],
  gap: ['type'],
  flatten: ['type'],
  block: ['type', 'name', 'inner', 'group', 'stride', 'shortcut'],
};

function describe(value: Json): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

/** Collects the context (file) so every check can phrase its error the same way. */
class Checker {
  constructor(private readonly file: string) {}

  fail(path: string, expected: string, found: Json, detail = ''): never {
    throw new SpaceError(
      `${this.file}: ${path}: expected ${expected}, found ${describe(found)}${detail ? ` (${detail})` : ''}`,
    );
  }

  object(value: Json, path: string): Record<string, Json> {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) this.fail(path, 'an object', value);
    return value as Record<string, Json>;
  }

  keys(obj: Record<string, Json>, allowed: string[], path: string): void {
    for (const key of Object.keys(obj)) {
      if (!allowed.includes(key)) {
        this.fail(`${path}.${key}`, `one of the keys ${allowed.join(', ')}`, key, 'unknown key');
      }
    }
  }

  required(obj: Record<string, Json>, key: string, path: string): Json {
    if (!(key in obj)) this.fail(`${path}.${key}`, 'this field (missing field)', undefined);
    return obj[key];
  }

  string(value: Json, path: string): string {
    if (typeof value !== 'string' || value.length === 0) this.fail(path, 'a non-empty string', value);
    return value;
  }

  positiveInt(value: Json, path: string): number {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) this.fail(path, 'a positive integer', value);
    return value;
  }

  bool(value: Json, path: string): boolean {
    if (typeof value !== 'boolean') this.fail(path, 'true or false', value);
    return value;
  }

  oneOf<T extends string>(value: Json, options: readonly T[], path: string): T {
    if (typeof value !== 'string' || !options.includes(value as T)) {
      this.fail(path, `one of ${options.map((o) => JSON.stringify(o)).join(', ')}`, value);
    }
    return value as T;
  }

  optional<T>(obj: Record<string, Json>, key: string, path: string, read: (v: Json, p: string) => T): T | undefined {
    return key in obj ? read(obj[key], `${path}.${key}`) : undefined;
  }
}

function readGroup(c: Checker, value: Json, path: string): WidthGroup {
  const obj = c.object(value, path);
  c.keys(obj, GROUP_KEYS, path);
  const group: WidthGroup = {
    name: c.string(c.required(obj, 'name', path), `${path}.name`),
    base: c.positiveInt(c.required(obj, 'base', path), `${path}.base`),
    min: c.positiveInt(c.required(obj, 'min', path), `${path}.min`),
    max: c.positiveInt(c.required(obj, 'max', path), `${path}.max`),
    step: c.positiveInt(c.required(obj, 'step', path), `${path}.step`),
  };
  if (group.max < group.min) c.fail(`${path}.max`, `a value >= min (${group.min})`, group.max);
  const problem = widthProblem(group, group.base);
  if (problem) c.fail(`${path}.base`, problem, group.base);
  return group;
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

function readLayer(c: Checker, value: Json, path: string, groupNames: Set<string>): LayerDecl {
  const obj = c.object(value, path);
  const type = c.oneOf(c.required(obj, 'type', path), LAYER_TYPES, `${path}.type`);
  c.keys(obj, LAYER_KEYS[type], path);
  const groupRef = (key: string, optional = false): string | undefined => {
    if (optional && !(key in obj)) return undefined;
    const name = c.string(c.required(obj, key, path), `${path}.${key}`);
    if (!groupNames.has(name)) c.fail(`${path}.${key}`, `the name of a group (${[...groupNames].join(', ')})`, name, 'unknown group');
    return name;
  };
  const activation = (): 'relu' | 'none' | undefined =>
    c.optional(obj, 'activation', path, (v, p) => c.oneOf(v, ['relu', 'none'] as const, p));
  switch (type) {
    case 'conv':
      return {
        type,
        name: c.string(c.required(obj, 'name', path), `${path}.name`),
        group: groupRef('group')!,
        kernel: c.positiveInt(c.required(obj, 'kernel', path), `${path}.kernel`),
        stride: c.optional(obj, 'stride', path, (v, p) => c.positiveInt(v, p)),
        padding: c.optional(obj, 'padding', path, (v, p) => c.oneOf(v, ['same', 'valid'] as const, p)),
        bias: c.optional(obj, 'bias', path, (v, p) => c.bool(v, p)),
        bn: c.optional(obj, 'bn', path, (v, p) => c.bool(v, p)),
        activation: activation(),
      };
    case 'dense':
      return {
        type,
        name: c.string(c.required(obj, 'name', path), `${path}.name`),
        group: groupRef('group', true),
        bias: c.optional(obj, 'bias', path, (v, p) => c.bool(v, p)),
        activation: activation(),
      };
    case 'maxpool':
      return {
        type,
        size: c.positiveInt(c.required(obj, 'size', path), `${path}.size`),
        stride: c.optional(obj, 'stride', path, (v, p) => c.positiveInt(v, p)),
      };
    case 'gap':
    case 'flatten':
      return { type };
    case 'block':
      return {
        type,
        name: c.string(c.required(obj, 'name', path), `${path}.name`),
        inner: groupRef('inner')!,
        group: groupRef('group')!,
        stride: c.optional(obj, 'stride', path, (v, p) => c.positiveInt(v, p)),
        shortcut: c.oneOf(c.required(obj, 'shortcut', path), ['identity', 'pad', 'projection'] as const, `${path}.shortcut`),
      };
  }
}

/**
 * Checks a parsed JSON document against the space schema and returns it typed. `file` is used in
 * messages only.
 */
export function validateSpace(doc: Json, file: string): SearchSpace {
  const c: Checker = new Checker(file);
  const root = c.object(doc, '$');
  c.keys(root, TOP_KEYS, '$');
  const name = c.string(c.required(root, 'name', '$'), '$.name');
  const description = c.optional(root, 'description', '$', (v, p) => c.string(v, p));
  const inputRaw = c.required(root, 'input', '$');
  if (!Array.isArray(inputRaw) || inputRaw.length !== 3) c.fail('$.input', '[height, width, channels]', inputRaw);
  const input = inputRaw.map((v, i) => c.positiveInt(v, `$.input[${i}]`)) as ImageShape;
  const classes = c.positiveInt(c.required(root, 'classes', '$'), '$.classes');
  const dataset = c.string(c.required(root, 'dataset', '$'), '$.dataset');

  const groupsRaw = c.required(root, 'groups', '$');
  if (!Array.isArray(groupsRaw) || groupsRaw.length === 0) c.fail('$.groups', 'a non-empty array of width groups', groupsRaw);
  const groups = groupsRaw.map((g, i) => readGroup(c, g, `$.groups[${i}]`));
  const groupNames = new Set<string>();
  groups.forEach((g, i) => {
    if (groupNames.has(g.name)) c.fail(`$.groups[${i}].name`, 'a group name not used before', g.name, 'duplicate group');
    groupNames.add(g.name);
  });

  const layersRaw = c.required(root, 'layers', '$');
  if (!Array.isArray(layersRaw) || layersRaw.length === 0) c.fail('$.layers', 'a non-empty array of layers', layersRaw);
  const layers = layersRaw.map((l, i) => readLayer(c, l, `$.layers[${i}]`, groupNames));

  const layerNames = new Set<string>();
  layers.forEach((l, i) => {
    if (!('name' in l)) return;
    if (layerNames.has(l.name)) c.fail(`$.layers[${i}].name`, 'a layer name not used before', l.name, 'duplicate layer name');
    layerNames.add(l.name);
  });
  const used = new Set(layers.flatMap((l) => ('inner' in l ? [l.inner, l.group] : 'group' in l && l.group ? [l.group] : [])));
  groups.forEach((g, i) => {
    if (!used.has(g.name)) c.fail(`$.groups[${i}].name`, 'a group that some layer uses', g.name, 'unused group');
  });
  const last = layers[layers.length - 1];
  if (last.type !== 'dense' || last.group !== undefined) {
    c.fail(`$.layers[${layers.length - 1}]`, 'the output layer: a dense layer without "group" (it has `classes` units)', last.type);
  }
  layers.slice(0, -1).forEach((l, i) => {
    if (l.type === 'dense' && l.group === undefined) {
      c.fail(`$.layers[${i}].group`, 'a group (only the last dense layer may omit it)', undefined);
    }
  });

  const space: SearchSpace = { name, description, input, classes, dataset, groups, layers, file };
  return space;
}
