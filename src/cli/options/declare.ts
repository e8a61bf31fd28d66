/**
 * Gives a command its declared options (`core/option-table`): each becomes a yargs option whose
 * help says its meaning and its range, and one check refuses bad values before the command's
 * handler runs, so no command starts any work with them: numbers first (NaN, Infinity, out of
 * range), then the paths the command writes (created or checked to be writable).
 */
import type { Argv, Options } from 'yargs';
import { camelCase, checkNumbers, rangeText, type OptionSpec, type OptionTable, type OptionValues } from '../../core/option-table.js';
import { ensureWritableDir } from '../../storage/writable-dir.js';
import { ensureWritableFileFolder } from '../shared.js';

/** The yargs option of a spec: its help carries the range, so help and check cannot disagree. */
function yargsOption(spec: OptionSpec): Options {
  const { describe, type } = spec;
  const range = spec.type === 'number' && rangeText(spec) !== 'a number' ? `; ${rangeText(spec)}` : '';
  return {
    type, describe: `${describe}${range}`,
    ...(spec.default !== undefined ? { default: spec.default } : {}),
    ...(spec.type === 'string' && spec.choices ? { choices: spec.choices } : {}),
  };
}

/** Refuses bad values of `table`'s options in `values` (camelCase names, as parsed), paths last. */
export function checkDeclaredOptions(table: OptionTable, values: Record<string, unknown>): void {
  checkNumbers(table, values);
  for (const [flag, spec] of Object.entries(table)) {
    const value = values[camelCase(flag)];
    if (spec.type !== 'string' || !spec.writes || value === undefined) continue;
    if (spec.writes === 'folder') ensureWritableDir(String(value), `--${flag}`);
    else ensureWritableFileFolder(flag, String(value));
  }
}

/** Declares `table`'s options on a command and checks their values before its handler runs. */
export function withOptions<T, O extends OptionTable>(y: Argv<T>, table: O): Argv<T & OptionValues<O>> {
  const options = Object.fromEntries(Object.entries(table).map(([flag, spec]) => [flag, yargsOption(spec)]));
  return y.options(options).check((args) => {
    checkDeclaredOptions(table, args);
    return true;
  }) as unknown as Argv<T & OptionValues<O>>;
}
