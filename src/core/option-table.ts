/**
 * Declared options: each option's type, range and meaning in one table, the one source of a
 * command's `--help` (see `cli/options/declare`) and of the checks of its values. A table is plain
 * data, so a pipeline can check the options a caller gives it (a search's, from a queue) against
 * the very table its command line declares.
 */
import { UsageError } from './errors.js';

interface BaseSpec {
  /** What the option means, for `--help` (the range is added from the spec). */
  describe: string;
}

export interface NumberSpec extends BaseSpec {
  type: 'number';
  default?: number;
  /** Whole numbers only. */
  integer?: boolean;
  /** Bounds: `min`/`max` inclusive, `above`/`below` exclusive. Every value must be finite. */
  min?: number;
  max?: number;
  above?: number;
  below?: number;
  /** The unit, said after the range in messages: `steps`, `seconds`. */
  unit?: string;
}

export interface StringSpec extends BaseSpec {
  type: 'string';
  default?: string;
  choices?: readonly string[];
  /** A path this command writes, checked before any work: a folder it creates, or a file in an existing folder. */
  writes?: 'folder' | 'file';
}

export interface BooleanSpec extends BaseSpec {
  type: 'boolean';
  default?: boolean;
}

export type OptionSpec = NumberSpec | StringSpec | BooleanSpec;

/** A command's options by their flag name (kebab-case, without `--`). */
export type OptionTable = Readonly<Record<string, OptionSpec>>;

/** `max-train` → `maxTrain`, as yargs names the parsed value. */
export type CamelCase<S extends string> = S extends `${infer H}-${infer T}` ? `${H}${Capitalize<CamelCase<T>>}` : S;
export const camelCase = (flag: string) => flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

type ValueOf<S extends OptionSpec> = S extends NumberSpec ? number : S extends BooleanSpec ? boolean : S extends { choices: readonly (infer C)[] } ? C : string;

/** The parsed values of a table's options, by camelCase name; those without a default may be absent. */
export type OptionValues<T extends OptionTable> = {
  [K in keyof T & string as CamelCase<K>]: T[K] extends { default: unknown } ? ValueOf<T[K]> : ValueOf<T[K]> | undefined;
};

/** What a number option accepts, in words: `a positive integer`, `a number in [0, 1)`. */
export function rangeText(spec: NumberSpec): string {
  const kind = spec.integer ? 'integer' : 'number';
  const unit = spec.unit ? ` (${spec.unit})` : '';
  const { min, max, above, below } = spec;
  const noUpper = max === undefined && below === undefined;
  if (noUpper && above === undefined) {
    if (min === undefined) return `${spec.integer ? 'an' : 'a'} ${kind}${unit}`;
    if (min === 0) return spec.integer ? `0 or a positive integer${unit}` : `a non-negative number${unit}`;
    if (min === 1 && spec.integer) return `a positive integer${unit}`;
    return `${spec.integer ? 'an' : 'a'} ${kind} of at least ${min}${unit}`;
  }
  if (noUpper && min === undefined) return above === 0 ? `a positive ${kind}${unit}` : `${spec.integer ? 'an' : 'a'} ${kind} above ${above}${unit}`;
  if (spec.integer && min !== undefined && max !== undefined && above === undefined && below === undefined) return `an integer from ${min} to ${max}${unit}`;
  const lower = min !== undefined ? `[${min}` : above !== undefined ? `(${above}` : '(-Infinity';
  const upper = max !== undefined ? `${max}]` : below !== undefined ? `${below})` : 'Infinity)';
  return `${spec.integer ? 'an integer' : 'a number'} in ${lower}, ${upper}${unit}`;
}

/** True when `value` is a finite number within `spec`'s range. */
function fits(spec: NumberSpec, value: number): boolean {
  return Number.isFinite(value) && (!spec.integer || Number.isSafeInteger(value))
    && (spec.min === undefined || value >= spec.min) && (spec.max === undefined || value <= spec.max)
    && (spec.above === undefined || value > spec.above) && (spec.below === undefined || value < spec.below);
}

/**
 * Checks every number option that `values` (camelCase names, as parsed) holds against `table`:
 * NaN, Infinity, a fraction where a whole number is asked, or a value out of range is a
 * `UsageError` of one line naming the flag. Absent options are not checked.
 */
export function checkNumbers(table: OptionTable, values: Record<string, unknown>): void {
  for (const [flag, spec] of Object.entries(table)) {
    const value = values[camelCase(flag)];
    if (value === undefined || spec.type !== 'number') continue;
    if (typeof value !== 'number' || !fits(spec, value)) throw new UsageError(`--${flag}: expected ${rangeText(spec)}, found ${String(value)}`);
  }
}
