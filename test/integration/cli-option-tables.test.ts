// Every command, every number and path option of its declared table, driven from the tables
// themselves: bad values (NaN, Infinity, negative, zero where invalid, a fraction where a count is
// asked, out of range), repeated options and unwritable paths each give one line naming the flag
// and exit code 2, within 10 s, before any work. The bad values are made from each option's
// declared bounds here, not by the checker.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError } from '../../src/core/errors.js';
import { camelCase, type NumberSpec, type OptionTable } from '../../src/core/option-table.js';
import { COMMANDS, type CommandName } from '../../src/cli/command-list.js';
import { checkDeclaredOptions } from '../../src/cli/options/declare.js';
import { TRAINING_OPTIONS } from '../../src/cli/options/training.js';
import { BASELINE_OPTIONS } from '../../src/cli/baseline.js';
import { DASHBOARD_OPTIONS } from '../../src/cli/dashboard.js';
import { WORKER_OPTIONS } from '../../src/cli/worker.js';
import { EXPORT_OPTIONS } from '../../src/cli/export.js';
import { INSPECT_OPTIONS } from '../../src/cli/inspect.js';
import { PROBE_OPTIONS } from '../../src/cli/probe.js';
import { REPORT_OPTIONS, SEARCH_CLI_OPTIONS } from '../../src/cli/search.js';
import { TRAIN_OPTIONS } from '../../src/cli/train.js';
import { BIN, runWidthwiseAsync as run, type ChildRun } from '../fixtures/widthwise-child.js';

/** Each command's table and a command line that is valid without the option under test. */
const COMMAND_TABLES: Record<CommandName, { table: OptionTable; line: string[] }> = {
  inspect: { table: INSPECT_OPTIONS, line: ['inspect', 'mlp-mnist'] },
  train: { table: TRAIN_OPTIONS, line: ['train', 'mlp-mnist'] },
  probe: { table: PROBE_OPTIONS, line: ['probe', 'mlp-mnist'] },
  search: { table: SEARCH_CLI_OPTIONS, line: ['search', '--space', 'mlp-mnist'] },
  report: { table: REPORT_OPTIONS, line: ['report', '/tmp'] },
  baseline: { table: BASELINE_OPTIONS, line: ['baseline', 'mlp-mnist'] },
  export: { table: EXPORT_OPTIONS, line: ['export', '/tmp'] },
  dashboard: { table: DASHBOARD_OPTIONS, line: ['dashboard', '/tmp'] },
  worker: { table: WORKER_OPTIONS, line: ['worker', '--queue', 'redis://127.0.0.1:1'] },
};

/** Values outside `spec`, from its declared bounds: [kind, value as typed on the command line]. */
function badValues(spec: NumberSpec): [string, string][] {
  const out: [string, string][] = [['NaN', 'NaN'], ['Infinity', 'Infinity'], ['-Infinity', '-Infinity'], ['not a number', 'abc']];
  if (spec.min !== undefined) out.push(['below the minimum', String(spec.min - (spec.integer ? 1 : 0.5))]);
  if (spec.above !== undefined) out.push(['at the exclusive lower bound', String(spec.above)]);
  if (spec.max !== undefined) out.push(['above the maximum', String(spec.max + 1)]);
  if (spec.below !== undefined) out.push(['at the exclusive upper bound', String(spec.below)]);
  if (spec.integer) out.push(['a fraction', String((spec.min ?? spec.above ?? 0) + 1.5)]);
  return out;
}

const numberOptions = (table: OptionTable) => Object.entries(table).filter((e): e is [string, NumberSpec] => e[1].type === 'number');

test('every command has a declared option table, and every number option has a bound or is an integer', () => {
  assert.deepEqual(Object.keys(COMMAND_TABLES).sort(), Object.keys(COMMANDS).sort());
  for (const [name, { table }] of Object.entries(COMMAND_TABLES)) {
    for (const [flag, spec] of numberOptions(table)) {
      assert.ok(spec.integer || spec.min !== undefined || spec.above !== undefined, `${name} --${flag}: unbounded`);
    }
  }
});

test('in process: every bad value of every number option of every table is refused, naming the flag', () => {
  for (const [name, { table }] of Object.entries(COMMAND_TABLES)) {
    for (const [flag, spec] of numberOptions(table)) {
      for (const [kind, text] of badValues(spec)) {
        // As yargs parses it: a number type gives NaN for text that is not a number.
        const value = Number(text);
        assert.throws(() => checkDeclaredOptions(table, { [camelCase(flag)]: value }), (e: Error) => e instanceof UsageError && e.message.startsWith(`--${flag}: expected `) && e.message.endsWith(`found ${value}`), `${name} --${flag} ${kind}`);
      }
    }
  }
});

/** The child-process cases: one bad value per number option (the kinds taken in turn), a repeat and an unwritable path per command. */
function childCases(): { line: string[]; first: RegExp }[] {
  const cases: { line: string[]; first: RegExp }[] = [];
  let turn = 0;
  for (const [name, { table, line }] of Object.entries(COMMAND_TABLES)) {
    const numbers = numberOptions(table);
    // The training options are shared: probe and baseline run one of them (the table is wired), train all.
    const own = name === 'probe' || name === 'baseline' ? numbers.filter(([flag]) => !(flag in TRAINING_OPTIONS)).concat(numbers.filter(([flag]) => flag in TRAINING_OPTIONS).slice(0, 1)) : numbers;
    for (const [flag, spec] of own) {
      const values = badValues(spec);
      const [, value] = values[turn++ % values.length];
      // `--flag=value`: on its own, `-Infinity` would read as the short flags -I -n -f ...
      cases.push({ line: [...line, `--${flag}=${value}`], first: new RegExp(`^UsageError: --${flag}: expected .*, found ${Number(value)}$`) });
    }
    // A repeated boolean is the same value twice; yargs keeps one, so only valued options can disagree.
    if (numbers.length) {
      const [repeated] = numbers[0];
      cases.push({ line: [...line, `--${repeated}`, '1', `--${repeated}`, '2'], first: new RegExp(`^UsageError: --${repeated}: given 2 times \\(1, 2\\); give it once$`) });
    }
    for (const [flag, spec] of Object.entries(table)) {
      if (spec.type !== 'string' || !spec.writes) continue;
      const target = spec.writes === 'folder' ? '/proc/widthwise-unwritable' : `${BIN}/model.onnx`;
      cases.push({ line: [...line, `--${flag}`, target], first: new RegExp(`^UsageError: --${flag} ${target.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: cannot write a (folder|file) there`) });
    }
  }
  // search checks its run folder itself (its default is known only once the space is loaded).
  cases.push({ line: ['search', '--space', 'mlp-mnist', '--out', '/proc/widthwise-unwritable'], first: /^UsageError: --out \/proc\/widthwise-unwritable: cannot write a folder there/ });
  return cases;
}

test('through the command line: each bad value, repeat and unwritable path is one line naming the flag, exit code 2, within 10 s, before any work', async () => {
  const cases = childCases();
  const results: ChildRun[] = [];
  // Four at a time: each case is mostly the start-up of a Node process.
  for (let i = 0; i < cases.length; i += 4) results.push(...(await Promise.all(cases.slice(i, i + 4).map((c) => run(c.line)))));
  cases.forEach(({ line, first }, i) => {
    const r = results[i];
    const what = line.join(' ');
    assert.equal(r.status, 2, `${what}: ${r.stderr}`);
    assert.equal(r.stderr.trimEnd().split('\n').length, 1, `${what}: one line, found ${r.stderr}`);
    assert.match(r.stderr.trimEnd(), first, what);
    assert.doesNotMatch(r.stderr, /^backend:|^training |^epoch \d/m, `${what}: no work started`);
    assert.equal(r.stdout, '', what);
    assert.ok(r.ms < 10_000, `${what} took ${r.ms} ms`);
  });
});
